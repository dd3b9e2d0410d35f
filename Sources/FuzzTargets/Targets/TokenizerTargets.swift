import Foundation
import Tokenizers

/// The tokenizer files of a model folder, and the tokenizer itself on any text.
enum TokenizerTargets {
    static let all = [vocabText, tokenizerJSON, tokenizerConfig, text]

    /// vocab.txt, read as a model folder's: then a sentence pair encoded with it.
    static let vocabText = FuzzTarget("vocab-txt", "vocab.txt in a model folder -> BertTokenizer(modelFolder:); ids in range") { bytes in
        let folder = Scratch.folder("vocab-txt")
        Scratch.write(bytes, as: "vocab.txt", in: folder)
        let tokenizer = try BertTokenizer(modelFolder: folder)
        try require(tokenizer.vocabulary.count > 0, "an empty vocabulary was accepted")
        try EncodingChecks.checkLoaded(tokenizer)
    }

    /// tokenizer.json alone (a folder transformers 5 saved): its WordPiece model, normalizer,
    /// pre-tokenizer, post-processor and added tokens.
    static let tokenizerJSON = FuzzTarget("tokenizer-json", "tokenizer.json in a model folder without vocab.txt; ids in range") { bytes in
        let folder = Scratch.folder("tokenizer-json")
        Scratch.write(bytes, as: "tokenizer.json", in: folder)
        try EncodingChecks.checkLoaded(try BertTokenizer(modelFolder: folder))
    }

    /// tokenizer_config.json, then (after a NUL byte, if any) special_tokens_map.json, beside a
    /// small vocab.txt.
    static let tokenizerConfig = FuzzTarget(
        "tokenizer-config", "tokenizer_config.json [NUL special_tokens_map.json] beside a vocab.txt; ids in range"
    ) { bytes in
        let folder = Scratch.folder("tokenizer-config")
        Scratch.write(Fixtures.smallVocabularyBytes, as: "vocab.txt", in: folder)
        let (config, map) = splitAtFirstNUL(bytes)
        Scratch.write(config, as: "tokenizer_config.json", in: folder)
        if let map { Scratch.write(map, as: "special_tokens_map.json", in: folder) }
        try EncodingChecks.checkLoaded(try BertTokenizer(modelFolder: folder))
    }

    /// Any bytes as text (invalid UTF-8 decoded to U+FFFD, as the readers never pass it on):
    /// alone, as a pair cut at the first NUL, as pre-split words, and in QA windows.
    static let text = FuzzTarget(
        "tokenizer-text", "bytes as text -> encode (uncased and cased), pairs, words, windows; offsets slice the text, ids in range"
    ) { bytes in
        let (firstBytes, secondBytes) = splitAtFirstNUL(bytes)
        let first = String(decoding: firstBytes, as: UTF8.self), second = secondBytes.map { String(decoding: $0, as: UTF8.self) }
        for (tokenizer, verbatim) in [(Fixtures.uncased, false), (Fixtures.cased, true)] {
            try EncodingChecks.check(tokenizer.encode(first, pair: second), of: first, pair: second, by: tokenizer, verbatim: verbatim)
            // words as the NER reader gives them: offsets are then within each word
            let words = first.split(whereSeparator: \.isWhitespace).map(String.init)
            let encoding = tokenizer.encode(words: words)
            for i in 0..<encoding.count {
                guard let word = encoding.wordIds[i] else { continue }
                try require(words.indices.contains(word), "word id \(word) of \(words.count) words")
                try require(encoding.offsets[i].upperBound <= words[word].unicodeScalars.count, "offsets \(encoding.offsets[i]) past word \(word)")
            }
        }
        // QA windows: question whole, context cut into windows of 24 sharing 8 tokens
        let truncation = Truncation(maxLength: 24, strategy: .onlySecond, stride: 8)
        guard let windows = try? Fixtures.uncased.encode(.text(first, pair: second ?? first), truncation: truncation) else { return }
        for window in windows {
            try require(window.count <= 24, "a window of \(window.count) tokens, more than 24")
            try EncodingChecks.check(window, of: first, pair: second ?? first, by: Fixtures.uncased)
        }
    }
}
