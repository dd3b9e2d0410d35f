import Foundation

/// How text is normalized before WordPiece, and which tokens are special. Mirrors the keys of a
/// Hugging Face tokenizer_config.json for BERT.
public struct TokenizerOptions: Sendable, Equatable {
    /// `do_lower_case`.
    public var lowercase: Bool = true
    /// `strip_accents`: nil follows `lowercase` (transformers' rule).
    public var stripAccents: Bool? = nil
    /// `tokenize_chinese_chars`: put every CJK ideograph in its own word.
    public var tokenizeChineseChars: Bool = true
    public var unkToken = "[UNK]"
    public var sepToken = "[SEP]"
    public var padToken = "[PAD]"
    public var clsToken = "[CLS]"
    public var maskToken = "[MASK]"
    /// Longer words (in scalars, after normalization) become the unknown token.
    public var maxCharactersPerWord = 100

    public init(lowercase: Bool = true, stripAccents: Bool? = nil, tokenizeChineseChars: Bool = true) {
        self.lowercase = lowercase
        self.stripAccents = stripAccents
        self.tokenizeChineseChars = tokenizeChineseChars
    }

    /// Whether accents are stripped once `stripAccents`'s default is resolved.
    public var stripsAccents: Bool { stripAccents ?? lowercase }

    /// Reads tokenizer_config.json. Absent keys keep their defaults; a key of the wrong type is
    /// an error naming the key.
    public init(configurationAt url: URL) throws {
        self.init()
        try apply(configurationAt: url)
    }

    /// Sets what tokenizer_config.json gives (`do_lower_case`, `strip_accents`,
    /// `tokenize_chinese_chars`, the special tokens) and keeps the rest: transformers' BERT
    /// tokenizer builds its normalizer from these keys, over what tokenizer.json says.
    public mutating func apply(configurationAt url: URL) throws {
        let json = try Self.jsonObject(at: url)
        let path = url.path
        func bool(_ key: String) throws -> Bool? {
            guard let value = json[key], !(value is NSNull) else { return nil }
            guard let flag = value as? Bool else {
                throw TokenizerError.invalidConfiguration(path: path, key: key, reason: "expected true, false or null")
            }
            return flag
        }
        if let v = try bool("do_lower_case") { lowercase = v }
        // null is a value here: accents then follow lower-casing
        if json.keys.contains("strip_accents") { stripAccents = try bool("strip_accents") }
        if let v = try bool("tokenize_chinese_chars") { tokenizeChineseChars = v }
        try applySpecialTokens(json, path: path)
    }

    /// Sets the special tokens special_tokens_map.json names: transformers reads it after
    /// tokenizer_config.json, so its tokens win.
    public mutating func apply(specialTokensMapAt url: URL) throws {
        try applySpecialTokens(try Self.jsonObject(at: url), path: url.path)
    }

    private mutating func applySpecialTokens(_ json: [String: Any], path: String) throws {
        func token(_ key: String) throws -> String? {
            guard let value = json[key], !(value is NSNull) else { return nil }
            if let string = value as? String { return string }
            // Newer files write an AddedToken object: {"content": "[CLS]", ...}.
            if let dict = value as? [String: Any], let content = dict["content"] as? String { return content }
            throw TokenizerError.invalidConfiguration(path: path, key: key, reason: "expected a string or {\"content\": ...}")
        }
        if let v = try token("unk_token") { unkToken = v }
        if let v = try token("sep_token") { sepToken = v }
        if let v = try token("pad_token") { padToken = v }
        if let v = try token("cls_token") { clsToken = v }
        if let v = try token("mask_token") { maskToken = v }
    }

    static func jsonObject(at url: URL) throws -> [String: Any] {
        let path = url.path
        try TokenizerFileSize.check(url)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TokenizerError.invalidConfiguration(path: path, key: nil, reason: "cannot read the file")
        }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw TokenizerError.invalidConfiguration(path: path, key: nil, reason: "not valid JSON (\(error.localizedDescription))")
        }
        guard let json = object as? [String: Any] else {
            throw TokenizerError.invalidConfiguration(path: path, key: nil, reason: "expected a JSON object")
        }
        return json
    }
}
