import Foundation

/// One JSON line in, one JSON line out: the engine of `bertkit tokenize`.
///
/// Input: `{"text": ...}`, `{"text": ..., "text_pair": ...}` or `{"words": [...]}`.
/// Output: `{"ids","tokens","offsets","word_ids","type_ids"}`; with `windowing` set,
/// `{"windows": [...]}` where each window also has `sequence_ids` and `attention_mask`.
public struct TokenizerJSONLines: Sendable {
    public let tokenizer: BertTokenizer
    /// Truncation with overflowing windows (e.g. max length 384, stride 128, only_second).
    public let windowing: Truncation?
    /// Padding of the windows (e.g. `.fixed(384)` as QA features are built); nil for none.
    public let padding: Padding?

    public init(tokenizer: BertTokenizer, windowing: Truncation? = nil, padding: Padding? = nil) {
        self.tokenizer = tokenizer
        self.windowing = windowing
        self.padding = padding
    }

    /// Tokenizes one line; `lineNumber` (from 1) goes into the error of a bad line.
    public func process(line: String, lineNumber: Int) throws -> String {
        let input = try Self.parse(line, lineNumber: lineNumber)
        guard let windowing else {
            let encoding = try tokenizer.encode(input)[0]
            return "{" + Self.fields(of: encoding, windowed: false) + "}"
        }
        let windows: [Encoding]
        do {
            windows = try tokenizer.encode(input, truncation: windowing, padding: padding)
        } catch let error as TokenizerError {
            throw TokenizerError.invalidJSONLine(line: lineNumber, reason: error.description)
        }
        return "{\"windows\":[" + windows.map { "{" + Self.fields(of: $0, windowed: true) + "}" }.joined(separator: ",") + "]}"
    }

    /// The accepted input keys. Decoded with JSONDecoder: JSONSerialization drops a leading
    /// U+FEFF from strings, which would shift every offset.
    private struct Line: Decodable {
        var text: String?
        var text_pair: String?
        var words: [String]?
    }

    static func parse(_ line: String, lineNumber: Int) throws -> TokenizerInput {
        func fail(_ reason: String) -> TokenizerError { .invalidJSONLine(line: lineNumber, reason: reason) }
        let parsed: Line
        do {
            parsed = try JSONDecoder().decode(Line.self, from: Data(line.utf8))
        } catch DecodingError.typeMismatch(_, let context) {
            let key = context.codingPath.first?.stringValue ?? "line"
            throw fail("\"\(key)\" has the wrong type (text and text_pair are strings, words an array of strings)")
        } catch {
            throw fail("not a valid JSON object")
        }
        if let words = parsed.words {
            guard parsed.text == nil else { throw fail("give either \"text\" or \"words\", not both") }
            return .words(words)
        }
        guard let text = parsed.text else { throw fail("expected \"text\" or \"words\"") }
        return .text(text, pair: parsed.text_pair)
    }

    static func fields(of e: Encoding, windowed: Bool) -> String {
        var out = "\"ids\":" + list(e.ids.map(String.init))
        out += ",\"tokens\":" + list(e.tokens.map(quoted))
        out += ",\"offsets\":" + list(e.offsets.map { "[\($0.lowerBound),\($0.upperBound)]" })
        out += ",\"word_ids\":" + list(e.wordIds.map { $0.map(String.init) ?? "null" })
        out += ",\"type_ids\":" + list(e.typeIds.map(String.init))
        if windowed {
            out += ",\"sequence_ids\":" + list(e.sequenceIds.map { $0.map(String.init) ?? "null" })
            out += ",\"attention_mask\":" + list(e.attentionMask.map(String.init))
        }
        return out
    }

    private static func list(_ items: [String]) -> String { "[" + items.joined(separator: ",") + "]" }

    /// A JSON string literal: quotes, backslashes and control characters escaped.
    static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
