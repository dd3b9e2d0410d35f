// How scalar text becomes Swift values. Only plain, untagged scalars are resolved as numbers or
// booleans; a quoted or tagged scalar (`"42"`, `!!str 42`) is always a string.
//
//   String  any scalar except a plain null (`null`, `~`, nothing): quote those to mean the text.
//   Int     decimal with optional sign (`42`, `-3`, `+7`) or hexadecimal (`0x1F`).
//   Double  YAML 1.2's float: `5e-5`, `1e-3`, `.5`, `3.`, `-2.5E+3`, integers, `.inf`, `-.inf`,
//           `.nan` (any of the three YAML casings). No `_` separators, no `0x1p3`.
//   Float   as Double, then rounded to Float.
//   Bool    `true`/`false`, `yes`/`no`, `on`/`off`, each as lower case, Capitalised or UPPER
//           (YAML 1.1's words, so old files keep working). YAML 1.1's single letters `y`/`n` are
//           NOT booleans here: too easily meant as text.

extension String: YAMLScalarDecodable {
    static var yamlExpectation: String { "a string" }
    init?(yamlScalar scalar: YAMLScalar) { self = scalar.value }
}

extension Int: YAMLScalarDecodable {
    static var yamlExpectation: String { "an integer" }

    init?(yamlScalar scalar: YAMLScalar) {
        guard scalar.isPlainUntagged else { return nil }
        var text = Substring(scalar.value)
        var sign = ""
        if let first = text.first, first == "-" || first == "+" {
            sign = first == "-" ? "-" : ""
            text = text.dropFirst()
        }
        if text.hasPrefix("0x") {
            let digits = text.dropFirst(2)
            guard !digits.isEmpty, digits.unicodeScalars.allSatisfy(\.isHexDigitASCII),
                  let value = Int(sign + digits, radix: 16) else { return nil }
            self = value
        } else {
            guard !text.isEmpty, text.unicodeScalars.allSatisfy(\.isDigitASCII),
                  let value = Int(sign + text) else { return nil }
            self = value
        }
    }
}

extension Double: YAMLScalarDecodable {
    static var yamlExpectation: String { "a number" }

    init?(yamlScalar scalar: YAMLScalar) {
        guard scalar.isPlainUntagged else { return nil }
        let text = scalar.value
        switch text {
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": self = .infinity; return
        case "-.inf", "-.Inf", "-.INF": self = -.infinity; return
        case ".nan", ".NaN", ".NAN": self = .nan; return
        default: break
        }
        // Checked against YAML's grammar first: Double(String) alone would also take "nan",
        // "infinity" and hexadecimal floats, which YAML spells differently or not at all.
        guard Self.isYAMLFloatSyntax(text), let value = Double(text) else { return nil }
        self = value
    }

    /// `[-+]? ( \.[0-9]+ | [0-9]+ (\.[0-9]*)? ) ([eE][-+]?[0-9]+)?`
    private static func isYAMLFloatSyntax(_ text: String) -> Bool {
        let scalars = Array(text.unicodeScalars)
        var index = 0
        func digits() -> Int {
            let start = index
            while index < scalars.count, scalars[index].isDigitASCII { index += 1 }
            return index - start
        }
        if index < scalars.count, scalars[index] == "-" || scalars[index] == "+" { index += 1 }
        var mantissaDigits = digits()
        if index < scalars.count, scalars[index] == "." {
            index += 1
            mantissaDigits += digits()
        }
        guard mantissaDigits > 0 else { return false }
        if index < scalars.count, scalars[index] == "e" || scalars[index] == "E" {
            index += 1
            if index < scalars.count, scalars[index] == "-" || scalars[index] == "+" { index += 1 }
            guard digits() > 0 else { return false }
        }
        return index == scalars.count
    }
}

extension Float: YAMLScalarDecodable {
    static var yamlExpectation: String { "a number" }

    init?(yamlScalar scalar: YAMLScalar) {
        guard let value = Double(yamlScalar: scalar) else { return nil }
        self = Float(value)
    }
}

extension Bool: YAMLScalarDecodable {
    static var yamlExpectation: String { "a boolean (true or false)" }

    init?(yamlScalar scalar: YAMLScalar) {
        guard scalar.isPlainUntagged else { return nil }
        switch scalar.value {
        case "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON": self = true
        case "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF": self = false
        default: return nil
        }
    }
}

extension Unicode.Scalar {
    fileprivate var isDigitASCII: Bool { ("0"..."9").contains(self) }
    fileprivate var isHexDigitASCII: Bool {
        isDigitASCII || ("a"..."f").contains(self) || ("A"..."F").contains(self)
    }
}
