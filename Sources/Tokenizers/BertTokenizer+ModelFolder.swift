import Foundation

extension BertTokenizer {
    /// The tokenizer of a model folder, read as transformers reads it:
    /// - the vocabulary from `vocab.txt`, or where the folder has none (transformers 5 saves
    ///   none), from `tokenizer.json`'s WordPiece model, whose normalizer, pre-tokenizer,
    ///   post-processor and added tokens must be BERT's (`TokenizerJSONFile` refuses the rest);
    /// - lower-casing, accents, CJK handling and the special tokens from `tokenizer_config.json`
    ///   over tokenizer.json's normalizer (transformers' BERT tokenizer builds its normalizer from
    ///   these keys), then the special tokens of `special_tokens_map.json` (older folders).
    /// `lowercase` overrides all of them.
    public init(modelFolder: URL, lowercase: Bool? = nil) throws {
        let vocabURL = modelFolder.appendingPathComponent("vocab.txt")
        let jsonURL = modelFolder.appendingPathComponent("tokenizer.json")
        let configURL = modelFolder.appendingPathComponent("tokenizer_config.json")
        let mapURL = modelFolder.appendingPathComponent("special_tokens_map.json")
        let exists = { (url: URL) in FileManager.default.fileExists(atPath: url.path) }
        let vocabulary: Vocabulary
        var options: TokenizerOptions
        var file: TokenizerJSONFile?
        if exists(vocabURL) || !exists(jsonURL) {
            vocabulary = try Vocabulary(contentsOf: vocabURL)
            options = TokenizerOptions()
        } else {
            file = try TokenizerJSONFile(contentsOf: jsonURL)
            vocabulary = Vocabulary(tokens: file!.tokens)
            options = file!.options
        }
        if exists(configURL) { try options.apply(configurationAt: configURL) }
        if exists(mapURL) { try options.apply(specialTokensMapAt: mapURL) }
        if let lowercase { options.lowercase = lowercase }
        if let file {
            // what transformers adds around the sequences is the post-processor's: it must be
            // the [CLS] and [SEP] BertKit adds
            for (role, configured, added) in [("cls_token", options.clsToken, file.cls.token), ("sep_token", options.sepToken, file.sep.token)]
            where configured != added {
                throw TokenizerError.unsupportedTokenizerFile(
                    path: jsonURL.path, key: "post_processor", value: "adding \"\(added)\"",
                    supported: "a post-processor that adds the \(role) \"\(configured)\" (tokenizer_config.json)")
            }
            try file.checkAddedTokens(against: options, vocabulary: vocabulary)
        }
        try self.init(vocabulary: vocabulary, options: options)
    }
}
