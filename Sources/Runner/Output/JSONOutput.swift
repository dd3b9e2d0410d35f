import Foundation

/// JSON encoding shared by the run's output files: sorted keys (stable diffs between runs),
/// and NaN or infinite numbers written as `null`, where Foundation's JSONEncoder would throw.
/// A diverged loss is exactly when the log matters most, so it must not fail to be written.
enum JSONOutput {
    /// What non-finite numbers are first encoded as, before `null` replaces the quoted marker.
    /// Plain letters, so the encoder writes it unescaped; no real value is this string.
    static let nonFiniteMarker = "__bertkit_non_finite_number__"

    /// UTF-8 JSON for `value`; `pretty` for files people read, one line otherwise.
    static func encode(_ value: some Encodable, pretty: Bool, path: String) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
                                          : [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: nonFiniteMarker, negativeInfinity: nonFiniteMarker, nan: nonFiniteMarker)
        let data: Data
        do {
            data = try encoder.encode(value)
        } catch {
            throw OutputError.encoding(path: path, reason: "\(error)")
        }
        let text = String(decoding: data, as: UTF8.self)
        guard text.contains(nonFiniteMarker) else { return data }
        return Data(text.replacingOccurrences(of: "\"\(nonFiniteMarker)\"", with: "null").utf8)
    }
}
