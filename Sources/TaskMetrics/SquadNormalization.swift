// The answer normalisation of the official SQuAD evaluators (v1.1 and v2.0 share it), rebuilt
// step by step on Unicode scalars with Python 3's semantics, because EM and F1 are only
// comparable with published numbers if every answer normalises the same way:
//   1. str.lower(): full lowercase mapping per code point (U+0130 "İ" becomes "i" + U+0307) and
//      Python's Final_Sigma rule for U+03A3;
//   2. remove the 32 ASCII characters of string.punctuation (and nothing else: "«", "—" stay);
//   3. re.sub(r'\b(a|an|the)\b', ' '): a maximal run of word characters (Unicode letters,
//      digits and numerics, "_") that is exactly "a", "an" or "the" becomes a space;
//   4. ' '.join(s.split()): split on Python's whitespace set, join with single spaces.
// The Unicode tables are Swift's, not Python's. Checked against Python 3.11 (Unicode 14) over
// every code point below U+30000: all characters assigned by Unicode 14 normalise identically
// except U+0295 (a letter whose category changed in a later Unicode version); characters assigned
// after Unicode 14 follow the newer tables, as a newer Python would.

enum SquadNormalization {
    /// The normalised answer, as normalize_answer(s) in evaluate-v1.1.py / evaluate-v2.0.py.
    static func normalize(_ text: String) -> String {
        String(String.UnicodeScalarView(normalizedTokens(text).joined(separator: [" "])))
    }

    /// Tokens of the normalised answer: normalize_answer(s).split().
    static func tokens(_ text: String) -> [String] {
        normalizedTokens(text).map { String(String.UnicodeScalarView($0)) }
    }

    /// The tokens as code points. Scoring compares these, never `String`s: Swift's String
    /// equality is canonical equivalence ("é" == "e" + U+0301), Python's compares code points.
    static func normalizedTokens(_ text: String) -> [[Unicode.Scalar]] {
        let lowered = pythonLowercased(Array(text.unicodeScalars))
        let withoutPunctuation = lowered.filter { !isASCIIPunctuation($0) }
        let withoutArticles = removeArticles(withoutPunctuation)
        return pythonSplit(withoutArticles)
    }

    // MARK: step 1, str.lower()

    static func pythonLowercased(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var result: [Unicode.Scalar] = []
        result.reserveCapacity(scalars.count)
        for (i, scalar) in scalars.enumerated() {
            if scalar == "\u{03A3}" {
                result.append(isFinalSigma(scalars, at: i) ? "\u{03C2}" : "\u{03C3}")
            } else if scalar.isASCII {
                let v = scalar.value
                result.append((0x41...0x5A).contains(v) ? Unicode.Scalar(UInt8(v + 0x20)) : scalar)
            } else {
                result.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
            }
        }
        return result
    }

    /// Python's handle_capital_sigma: a cased letter (skipping case-ignorables) before, and no
    /// cased letter (skipping case-ignorables) after.
    static func isFinalSigma(_ scalars: [Unicode.Scalar], at i: Int) -> Bool {
        var j = i - 1
        while j >= 0 && scalars[j].properties.isCaseIgnorable { j -= 1 }
        guard j >= 0 && scalars[j].properties.isCased else { return false }
        j = i + 1
        while j < scalars.count && scalars[j].properties.isCaseIgnorable { j += 1 }
        return j == scalars.count || !scalars[j].properties.isCased
    }

    // MARK: step 2, string.punctuation

    static func isASCIIPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        // !"#$%&'()*+,-./  :;<=>?@  [\]^_`  {|}~
        switch scalar.value {
        case 0x21...0x2F, 0x3A...0x40, 0x5B...0x60, 0x7B...0x7E: return true
        default: return false
        }
    }

    // MARK: step 3, articles

    /// Python re's \w for str patterns: str.isalnum() or "_". isalnum = a letter (Lu, Ll, Lt,
    /// Lm, Lo) or any character with a numeric value (decimal, digit or numeric). Combining
    /// marks are not word characters, so "the" + U+0301 still loses its "the".
    static func isWordCharacter(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == "_" { return true }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return true
        default:
            return scalar.properties.numericType != nil
        }
    }

    static func removeArticles(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var result: [Unicode.Scalar] = []
        result.reserveCapacity(scalars.count)
        var i = 0
        while i < scalars.count {
            guard isWordCharacter(scalars[i]) else {
                result.append(scalars[i])
                i += 1
                continue
            }
            var end = i
            while end < scalars.count && isWordCharacter(scalars[end]) { end += 1 }
            let word = scalars[i..<end]
            if word.elementsEqual(["a"]) || word.elementsEqual(["a", "n"]) || word.elementsEqual(["t", "h", "e"]) {
                result.append(" ")
            } else {
                result.append(contentsOf: word)
            }
            i = end
        }
        return result
    }

    // MARK: step 4, whitespace

    /// Python's str.isspace() set (Py_UNICODE_ISSPACE).
    static func isPythonWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            return true
        default:
            return false
        }
    }

    /// str.split() with no argument: runs of whitespace separate, no empty pieces.
    static func pythonSplit(_ scalars: [Unicode.Scalar]) -> [[Unicode.Scalar]] {
        var pieces: [[Unicode.Scalar]] = []
        var current: [Unicode.Scalar] = []
        for scalar in scalars {
            if isPythonWhitespace(scalar) {
                if !current.isEmpty { pieces.append(current) }
                current = []
            } else {
                current.append(scalar)
            }
        }
        if !current.isEmpty { pieces.append(current) }
        return pieces
    }
}
