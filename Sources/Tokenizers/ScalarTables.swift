import Foundation

/// What BERT's normalizer and pre-tokenizer need to know about one Unicode scalar, as bit flags.
/// `removed`: NUL, U+FFFD and control characters (categories Cc, Cf, Co, Cs except tab, newline,
/// carriage return), which clean_text drops. `space`: White_Space plus tab/newline/CR.
/// `punctuation`: ASCII symbols and Unicode P*. `chinese`: Google's CJK ideograph ranges.
struct ScalarKind {
    static let removed: UInt8 = 1
    static let space: UInt8 = 2
    static let punctuation: UInt8 = 4
    static let chinese: UInt8 = 8

    static func of(_ value: UInt32) -> UInt8 {
        guard let scalar = Unicode.Scalar(value) else { return removed }
        if value == 0 || value == 0xFFFD { return removed }
        if value == 0x09 || value == 0x0A || value == 0x0D { return space }
        let properties = scalar.properties
        switch properties.generalCategory {
        case .control, .format, .privateUse, .surrogate: return removed
        default: break
        }
        if properties.isWhitespace { return space }
        if isChineseIdeograph(value) { return chinese }
        if isASCIIPunctuation(value) { return punctuation }
        switch properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return punctuation
        default: return 0
        }
    }

    /// Google BERT's `_is_chinese_char` ranges. U+2B820–U+2CEAF follows Google; the Rust library
    /// writes 0x2B920 there by mistake.
    static func isChineseIdeograph(_ v: UInt32) -> Bool {
        (0x4E00...0x9FFF).contains(v) || (0x3400...0x4DBF).contains(v) || (0x20000...0x2A6DF).contains(v)
            || (0x2A700...0x2B73F).contains(v) || (0x2B740...0x2B81F).contains(v) || (0x2B820...0x2CEAF).contains(v)
            || (0xF900...0xFAFF).contains(v) || (0x2F800...0x2FA1F).contains(v)
    }

    /// `!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~`: BERT counts ASCII symbols as punctuation too.
    static func isASCIIPunctuation(_ v: UInt32) -> Bool {
        (0x21...0x2F).contains(v) || (0x3A...0x40).contains(v) || (0x5B...0x60).contains(v) || (0x7B...0x7E).contains(v)
    }
}

/// A per-scalar mapping to zero, one or several scalars, stored flat for the hot loop: each entry
/// is either the single scalar itself (< 0x110000), `empty`, or `expanded | offset << 4 | count`
/// into `expansions`. Scalars at or above `limit` are mapped on the fly.
struct ScalarMap: Sendable {
    static let limit: UInt32 = 0x30000
    static let empty: UInt32 = 0xFFFF_FFFF
    static let expanded: UInt32 = 0x8000_0000

    let entries: [UInt32]
    let expansions: [UInt32]
    let compute: @Sendable (UInt32) -> [UInt32]

    init(compute: @escaping @Sendable (UInt32) -> [UInt32], precomputed: [[UInt32]]? = nil) {
        var entries = [UInt32](repeating: 0, count: Int(Self.limit))
        var expansions: [UInt32] = []
        for v in 0..<Self.limit {
            let mapped = precomputed?[Int(v)] ?? compute(v)
            switch mapped.count {
            case 0: entries[Int(v)] = Self.empty
            case 1: entries[Int(v)] = mapped[0]
            default:
                precondition(mapped.count < 16, "expansion of U+\(String(v, radix: 16)) too long")
                entries[Int(v)] = Self.expanded | UInt32(expansions.count) << 4 | UInt32(mapped.count)
                expansions += mapped
            }
        }
        self.entries = entries
        self.expansions = expansions
        self.compute = compute
    }

    /// Calls `body` on each scalar `value` maps to.
    @inline(__always)
    func forEach(_ value: UInt32, _ body: (UInt32) -> Void) {
        if value >= Self.limit {
            for m in compute(value) { body(m) }
            return
        }
        let e = entries[Int(value)]
        if e < Self.expanded { body(e); return }
        if e == Self.empty { return }
        let offset = Int((e & ~Self.expanded) >> 4), count = Int(e & 15)
        for i in offset..<offset + count { body(expansions[i]) }
    }
}

/// Tables shared by every tokenizer in the process, built on first use (Swift globals are lazy
/// and thread-safe).
enum ScalarTables {
    /// `ScalarKind` flags for scalars below `ScalarMap.limit`.
    static let kinds: [UInt8] = (0..<ScalarMap.limit).map(ScalarKind.of)

    @inline(__always)
    static func kind(_ value: UInt32) -> UInt8 {
        value < ScalarMap.limit ? kinds[Int(value)] : ScalarKind.of(value)
    }

    /// Full lower-case mapping of one scalar, without context (as Rust's `char::to_lowercase`).
    static let lowercase = ScalarMap(compute: { v in
        guard let s = Unicode.Scalar(v) else { return [v] }
        if v < 0x80 { return [(0x41...0x5A).contains(v) ? v + 32 : v] }
        return s.properties.lowercaseMapping.unicodeScalars.map(\.value)
    })

    /// Canonical decomposition (NFD) of one scalar with the nonspacing marks (Mn) dropped: BERT's
    /// accent stripping. Built from one Foundation NFD call over all scalars below the limit, each
    /// followed by U+0001 (a starter, so no mark is reordered across it).
    static let strippedAccents: ScalarMap = {
        var joined = String.UnicodeScalarView()
        for v in 0..<ScalarMap.limit {
            if let s = Unicode.Scalar(v), v != 1 { joined.append(s) }
            joined.append(Unicode.Scalar(1))
        }
        let pieces = String(joined).decomposedStringWithCanonicalMapping.unicodeScalars
            .split(separator: Unicode.Scalar(1), omittingEmptySubsequences: false)
        var precomputed = [[UInt32]](repeating: [], count: Int(ScalarMap.limit))
        for v in 0..<ScalarMap.limit where v != 1 && Unicode.Scalar(v) != nil {
            precomputed[Int(v)] = pieces[Int(v)].filter { $0.properties.generalCategory != .nonspacingMark }.map(\.value)
        }
        precomputed[1] = [1]
        return ScalarMap(compute: stripAccentsOnTheFly, precomputed: precomputed)
    }()

    @Sendable static func stripAccentsOnTheFly(_ v: UInt32) -> [UInt32] {
        guard let s = Unicode.Scalar(v) else { return [] }
        return String(s).decomposedStringWithCanonicalMapping.unicodeScalars
            .filter { $0.properties.generalCategory != .nonspacingMark }.map(\.value)
    }
}
