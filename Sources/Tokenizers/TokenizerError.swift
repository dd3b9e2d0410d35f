import Foundation

/// Everything a user can get wrong when loading or driving the tokenizer. Each case names the file,
/// key, line or value involved so the message alone is enough to fix the input.
public enum TokenizerError: Error, Equatable, CustomStringConvertible {
    /// vocab.txt does not exist (or cannot be read) at this path.
    case vocabularyMissing(path: String)
    /// vocab.txt exists but holds no tokens.
    case vocabularyEmpty(path: String)
    /// A vocabulary or settings file larger than BertKit reads (`TokenizerFileSize`).
    case fileTooLarge(path: String, size: Int, limit: Int)
    /// tokenizer_config.json is not a JSON object, or `key` has the wrong type.
    case invalidConfiguration(path: String, key: String?, reason: String)
    /// tokenizer.json asks for something BertKit's tokenizer does not do: `key` is the path in
    /// the file (`normalizer.type`, `added_tokens[5].lstrip`), `value` what the file says and
    /// `supported` what BertKit reads there.
    case unsupportedTokenizerFile(path: String, key: String, value: String, supported: String)
    /// A configured special token (`[CLS]`, `[SEP]`, `[UNK]`, `[PAD]`) is not in the vocabulary.
    case specialTokenNotInVocabulary(token: String, role: String)
    /// Truncation asked for a second sequence that the input does not have.
    case secondSequenceMissing
    /// `maxLength` cannot even hold the special tokens, or the sequence to truncate is too short
    /// to bring the whole input down to `maxLength`.
    case cannotTruncate(maxLength: Int, reason: String)
    /// `stride` (overlap in tokens) must be smaller than the window it overlaps.
    case strideTooLarge(stride: Int, windowLength: Int)
    /// A JSON line given to `TokenizerJSONLines` is not valid; `line` counts from 1.
    case invalidJSONLine(line: Int, reason: String)

    public var description: String {
        switch self {
        case .vocabularyMissing(let path):
            let folderHint = path.hasSuffix("/vocab.txt") ? " (a model folder needs vocab.txt or tokenizer.json)" : ""
            return "vocabulary file not found: \(path)\(folderHint)"
        case .vocabularyEmpty(let path): return "vocabulary file is empty: \(path)"
        case .fileTooLarge(let path, let size, let limit):
            return "\(path): \(size) bytes, more than the \(limit) BertKit reads from a tokenizer file (token ids are 32-bit)"
        case .invalidConfiguration(let path, let key, let reason):
            return "\(path): " + (key.map { "key \"\($0)\": " } ?? "") + reason
        case .unsupportedTokenizerFile(let path, let key, let value, let supported):
            return "\(path): \(key) is \(value); BertKit supports \(supported)"
        case .specialTokenNotInVocabulary(let token, let role):
            return "special token \(role) = \"\(token)\" is not in the vocabulary"
        case .secondSequenceMissing: return "truncation only_second needs a text pair"
        case .cannotTruncate(let maxLength, let reason): return "cannot truncate to max_length \(maxLength): \(reason)"
        case .strideTooLarge(let stride, let windowLength):
            return "stride \(stride) must be smaller than the window it overlaps (\(windowLength) tokens)"
        case .invalidJSONLine(let line, let reason): return "line \(line): \(reason)"
        }
    }
}
