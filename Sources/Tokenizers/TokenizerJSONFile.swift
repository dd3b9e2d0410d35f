import Foundation

/// tokenizer.json, the file of Hugging Face's Rust tokenizers library (transformers 5 saves it and
/// no vocab.txt): the vocabulary and settings of a BERT WordPiece tokenizer, read only where
/// BertKit's tokenizer reproduces them id for id. Anything else (another model, normalizer or
/// pre-tokenizer, another template, added tokens matched another way) is refused, naming the key
/// path, the file's value and what BertKit supports.
///
/// Read: `model` (WordPiece: `vocab`, `unk_token`, `continuing_subword_prefix` `##`,
/// `max_input_chars_per_word`), `normalizer` (BertNormalizer, alone or as the only member of a
/// Sequence), `pre_tokenizer` (BertPreTokenizer, likewise), `post_processor` ([CLS] A [SEP] /
/// [CLS] A [SEP] B [SEP] with type ids 0 0 0 1 1, as TemplateProcessing or BertProcessing) and
/// `added_tokens`. `truncation`, `padding` and `decoder` do not change the ids and are not read.
struct TokenizerJSONFile {
    /// Tokens by id (`model.vocab`, whose ids must be 0..<count).
    var tokens: [String]
    /// The normalizer's settings, `unk_token` and `max_input_chars_per_word`; the other special
    /// tokens keep their defaults (tokenizer_config.json names them).
    var options: TokenizerOptions
    /// The tokens the post-processor puts around the sequences, with the ids it gives them.
    var cls: (token: String, id: Int)
    var sep: (token: String, id: Int)
    /// `added_tokens`: (key path, content, id). Each must be one of the tokenizer's special
    /// tokens (checked once tokenizer_config.json has named them: `checkAddedTokens`).
    var addedTokens: [(key: String, content: String, id: Int)]
    let path: String

    init(contentsOf url: URL) throws {
        path = url.path
        let json = try TokenizerOptions.jsonObject(at: url)
        options = TokenizerOptions()
        tokens = []
        cls = ("", 0)
        sep = ("", 0)
        addedTokens = []
        try readModel(json["model"])
        try readNormalizer(json["normalizer"], key: "normalizer")
        try readPreTokenizer(json["pre_tokenizer"], key: "pre_tokenizer")
        try readPostProcessor(json["post_processor"])
        try readAddedTokens(json["added_tokens"])
    }

    /// Refuses added tokens BertKit would not match as transformers does: BertKit keeps its five
    /// special tokens whole wherever they are spelled in the raw text, and nothing else.
    func checkAddedTokens(against options: TokenizerOptions, vocabulary: Vocabulary) throws {
        let specials = [options.unkToken, options.sepToken, options.padToken, options.clsToken, options.maskToken]
        for added in addedTokens {
            guard specials.contains(added.content) else {
                throw unsupported(added.key + ".content", quoted(added.content),
                                  "added tokens that are the special tokens \(specials.map(quoted).joined(separator: ", "))")
            }
            guard vocabulary.id(of: added.content) == added.id else {
                throw unsupported(added.key + ".id", "\(added.id)", "the id \(quoted(added.content)) has in model.vocab (\(vocabulary.id(of: added.content).map(String.init) ?? "none"))")
            }
        }
    }

    // MARK: - The sections

    private mutating func readModel(_ value: Any?) throws {
        let model = try object(value, "model")
        let type = model["type"] as? String
        guard type == "WordPiece" else { throw unsupported("model.type", describe(model["type"]), "\"WordPiece\"") }
        guard let vocab = model["vocab"] as? [String: Any] else {
            throw unsupported("model.vocab", describe(model["vocab"]), "an object of token -> id")
        }
        var byId = [String?](repeating: nil, count: vocab.count)
        for (token, rawId) in vocab {
            guard let id = integer(rawId), byId.indices.contains(id), byId[id] == nil else {
                throw unsupported("model.vocab[\(quoted(token))]", describe(rawId), "ids 0..<\(vocab.count), each once")
            }
            byId[id] = token
        }
        tokens = byId.map { $0! }
        guard !tokens.isEmpty else { throw unsupported("model.vocab", "empty", "a vocabulary of at least the special tokens") }
        if let prefix = model["continuing_subword_prefix"], !(prefix is NSNull) {
            guard prefix as? String == "##" else { throw unsupported("model.continuing_subword_prefix", describe(prefix), "\"##\"") }
        }
        if let limit = model["max_input_chars_per_word"], !(limit is NSNull) {
            guard let count = integer(limit), count > 0 else {
                throw unsupported("model.max_input_chars_per_word", describe(limit), "a positive integer")
            }
            options.maxCharactersPerWord = count
        }
        guard let unk = model["unk_token"] as? String else {
            throw unsupported("model.unk_token", describe(model["unk_token"]), "a token of the vocabulary")
        }
        options.unkToken = unk
    }

    private mutating func readNormalizer(_ value: Any?, key: String) throws {
        let normalizer = try object(value, key, supported: "a BertNormalizer")
        switch normalizer["type"] as? String {
        case "BertNormalizer":
            if let clean = normalizer["clean_text"], !(clean is NSNull) {
                guard clean as? Bool == true else { throw unsupported("\(key).clean_text", describe(clean), "true (control characters are always dropped)") }
            }
            options.lowercase = try flag(normalizer["lowercase"], "\(key).lowercase") ?? true
            options.tokenizeChineseChars = try flag(normalizer["handle_chinese_chars"], "\(key).handle_chinese_chars") ?? true
            options.stripAccents = try flag(normalizer["strip_accents"], "\(key).strip_accents")
        case "Sequence":
            let members = try oneMember(normalizer["normalizers"], "\(key).normalizers", what: "a BertNormalizer")
            try readNormalizer(members, key: "\(key).normalizers[0]")
        default:
            throw unsupported("\(key).type", describe(normalizer["type"]), "\"BertNormalizer\" (alone or as the only member of a Sequence)")
        }
    }

    private func readPreTokenizer(_ value: Any?, key: String) throws {
        let preTokenizer = try object(value, key, supported: "a BertPreTokenizer")
        switch preTokenizer["type"] as? String {
        case "BertPreTokenizer":
            return
        case "Sequence":
            try readPreTokenizer(try oneMember(preTokenizer["pretokenizers"], "\(key).pretokenizers", what: "a BertPreTokenizer"),
                                 key: "\(key).pretokenizers[0]")
        default:
            throw unsupported("\(key).type", describe(preTokenizer["type"]), "\"BertPreTokenizer\" (alone or as the only member of a Sequence)")
        }
    }

    private mutating func readPostProcessor(_ value: Any?) throws {
        let supported = "[CLS] A [SEP] and [CLS] A [SEP] B [SEP] with type ids 0 0 0 1 1 (TemplateProcessing or BertProcessing)"
        let processor = try object(value, "post_processor", supported: supported)
        switch processor["type"] as? String {
        case "BertProcessing":
            cls = try tokenAndId(processor["cls"], "post_processor.cls")
            sep = try tokenAndId(processor["sep"], "post_processor.sep")
        case "TemplateProcessing":
            let single = try template(processor["single"], "post_processor.single")
            let pair = try template(processor["pair"], "post_processor.pair")
            // the pieces as "token:type"; A and B as "$A:type"
            guard single.count == 3, single[1] == "$A:0", single[0].hasSuffix(":0"), single[2].hasSuffix(":0") else {
                throw unsupported("post_processor.single", single.joined(separator: " "), supported)
            }
            let clsToken = String(single[0].dropLast(2)), sepToken = String(single[2].dropLast(2))
            guard pair == ["\(clsToken):0", "$A:0", "\(sepToken):0", "$B:1", "\(sepToken):1"] else {
                throw unsupported("post_processor.pair", pair.joined(separator: " "), supported)
            }
            let specials = processor["special_tokens"] as? [String: Any] ?? [:]
            func id(of token: String) throws -> Int {
                let key = "post_processor.special_tokens[\(quoted(token))]"
                guard let entry = specials[token] as? [String: Any], let ids = entry["ids"] as? [Any], ids.count == 1,
                      let id = integer(ids[0]) else {
                    throw unsupported(key + ".ids", describe((specials[token] as? [String: Any])?["ids"]), "one id")
                }
                return id
            }
            cls = (clsToken, try id(of: clsToken))
            sep = (sepToken, try id(of: sepToken))
        default:
            throw unsupported("post_processor.type", describe(processor["type"]), supported)
        }
        for (role, special) in [("cls", cls), ("sep", sep)] where tokens.indices.contains(special.id) == false || tokens[special.id] != special.token {
            throw unsupported("post_processor (\(role))", "\(quoted(special.token)) with id \(special.id)",
                              "the id the token has in model.vocab (\(tokens.firstIndex(of: special.token).map(String.init) ?? "none"))")
        }
    }

    private mutating func readAddedTokens(_ value: Any?) throws {
        guard let value, !(value is NSNull) else { return }
        guard let list = value as? [Any] else { throw unsupported("added_tokens", describe(value), "a list") }
        for (index, entry) in list.enumerated() {
            let key = "added_tokens[\(index)]"
            guard let token = entry as? [String: Any], let content = token["content"] as? String, let id = integer(token["id"] as Any) else {
                throw unsupported(key, describe(entry), "an object with a string content and an integer id")
            }
            // Matched in the raw text, as a whole string wherever it is spelled: what BertKit does.
            for (flagKey, expected) in [("single_word", false), ("lstrip", false), ("rstrip", false), ("normalized", false)] {
                if let raw = token[flagKey], !(raw is NSNull), raw as? Bool != expected {
                    throw unsupported("\(key).\(flagKey)", "\(describe(raw)) for \(quoted(content))", "\(expected) (special tokens matched as written in the raw text)")
                }
            }
            addedTokens.append((key, content, id))
        }
    }

    // MARK: - Reading values

    private func unsupported(_ key: String, _ value: String, _ supported: String) -> TokenizerError {
        .unsupportedTokenizerFile(path: path, key: key, value: value, supported: supported)
    }

    private func object(_ value: Any?, _ key: String, supported: String = "an object") throws -> [String: Any] {
        guard let object = value as? [String: Any] else { throw unsupported(key, describe(value), supported) }
        return object
    }

    /// The single member of a Sequence's list.
    private func oneMember(_ value: Any?, _ key: String, what: String) throws -> Any {
        guard let list = value as? [Any], list.count == 1 else {
            throw unsupported(key, describe(value), "a list holding exactly \(what)")
        }
        return list[0]
    }

    private func flag(_ value: Any?, _ key: String) throws -> Bool? {
        guard let value, !(value is NSNull) else { return nil }
        guard let flag = value as? Bool else { throw unsupported(key, describe(value), "true, false or null") }
        return flag
    }

    /// BertProcessing's ["[CLS]", 101].
    private func tokenAndId(_ value: Any?, _ key: String) throws -> (token: String, id: Int) {
        guard let pair = value as? [Any], pair.count == 2, let token = pair[0] as? String, let id = integer(pair[1]) else {
            throw unsupported(key, describe(value), "[token, id]")
        }
        return (token, id)
    }

    /// A template's pieces as "token:type" and "$A:type".
    private func template(_ value: Any?, _ key: String) throws -> [String] {
        guard let pieces = value as? [Any] else { throw unsupported(key, describe(value), "a list of pieces") }
        return try pieces.enumerated().map { index, piece in
            if let special = (piece as? [String: Any])?["SpecialToken"] as? [String: Any],
               let id = special["id"] as? String, let type = integer(special["type_id"] as Any) {
                return "\(id):\(type)"
            }
            if let sequence = (piece as? [String: Any])?["Sequence"] as? [String: Any],
               let id = sequence["id"] as? String, let type = integer(sequence["type_id"] as Any) {
                return "$\(id):\(type)"
            }
            throw unsupported("\(key)[\(index)]", describe(piece), "{\"SpecialToken\": ...} or {\"Sequence\": ...}")
        }
    }

    /// An integral JSON number. (JSONSerialization gives numbers and booleans alike as NSNumber,
    /// so `true` would read as 1 here: a file that wrong fails later, at the id it names.)
    private func integer(_ value: Any) -> Int? {
        guard let number = value as? NSNumber, !(value is String) else { return nil }
        return Int(exactly: number.doubleValue)
    }

    private func quoted(_ text: String) -> String { describe(text) }

    /// A value as the file spells it (shortened), for messages.
    private func describe(_ value: Any?) -> String {
        guard let value else { return "missing" }
        // inside a list, JSONSerialization writes any value, and tells booleans from numbers
        guard let data = try? JSONSerialization.data(withJSONObject: [value], options: [.sortedKeys, .withoutEscapingSlashes]) else {
            return "\(value)"
        }
        let text = String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
        return text.count > 120 ? String(text.prefix(117)) + "..." : text
    }
}
