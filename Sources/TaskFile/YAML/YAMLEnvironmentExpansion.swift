// `${VAR}` and `${VAR:-default}` in path strings, so one task file serves several machines:
//
//   ${NAME}            the value of NAME; an error if NAME is unset. Set-but-empty gives "".
//   ${NAME:-default}   the value of NAME, or `default` if NAME is unset or empty (the shell's `:-`).
//                      The default is taken literally up to the first `}`: no nesting.
//   $$, $NAME, a `$` at the end, any `$` not followed by `{`:
//                      copied unchanged. `$$` is copied as two dollars and the second does not
//                      start a reference, so `$${HOME}` stays `$${HOME}` (no expansion, no
//                      collapsing to one `$`).
//   NAME is `[A-Za-z_][A-Za-z0-9_]*`; anything else inside `${...}`, or a `${` with no `}`, is an
//   error at the string's position.

/// `text` with every `${NAME}` / `${NAME:-default}` replaced from `environment`.
/// Errors are positioned at `position` (the scalar the text came from).
func expandEnvironmentVariables(in text: String, environment: [String: String],
                                       at position: YAMLPosition) throws -> String {
    let scalars = Array(text.unicodeScalars)
    var expanded = String.UnicodeScalarView()
    var index = 0
    while index < scalars.count {
        let scalar = scalars[index]
        let next = index + 1 < scalars.count ? scalars[index + 1] : nil
        if scalar == "$" && next == "$" {
            expanded.append(contentsOf: ["$", "$"])
            index += 2
            continue
        }
        guard scalar == "$" && next == "{" else {
            expanded.append(scalar)
            index += 1
            continue
        }
        guard let close = scalars[(index + 2)...].firstIndex(of: "}") else {
            throw YAMLError(.malformedVariable, at: position,
                            "`${` without a closing `}` in \"\(text)\"")
        }
        let reference = String(String.UnicodeScalarView(scalars[(index + 2)..<close]))
        let (name, defaultValue) = splitDefault(reference)
        guard isVariableName(name) else {
            throw YAMLError(.malformedVariable, at: position,
                            "`${\(reference)}` in \"\(text)\": `\(name)` is not a variable name "
                            + "(letters, digits and _, not starting with a digit)")
        }
        let value: String
        if let set = environment[name], !(set.isEmpty && defaultValue != nil) {
            value = set
        } else if let defaultValue {
            value = defaultValue
        } else {
            throw YAMLError(.unsetVariable(name), at: position,
                            "environment variable `\(name)` is not set (used in \"\(text)\"); "
                            + "set it, or write `${\(name):-default}`")
        }
        expanded.append(contentsOf: value.unicodeScalars)
        index = close + 1
    }
    return String(expanded)
}

/// `NAME:-default` -> ("NAME", "default"); `NAME` -> ("NAME", nil).
private func splitDefault(_ reference: String) -> (name: String, defaultValue: String?) {
    guard let separator = reference.range(of: ":-") else { return (reference, nil) }
    return (String(reference[..<separator.lowerBound]), String(reference[separator.upperBound...]))
}

private func isVariableName(_ name: String) -> Bool {
    let scalars = Array(name.unicodeScalars)
    guard let first = scalars.first, first == "_" || first.isASCIILetter else { return false }
    return scalars.dropFirst().allSatisfy { $0 == "_" || $0.isASCIILetter || ("0"..."9").contains($0) }
}

extension Unicode.Scalar {
    fileprivate var isASCIILetter: Bool { ("a"..."z").contains(self) || ("A"..."Z").contains(self) }
}

extension YAMLMapping {
    /// The string under `key` with environment variables expanded (see the rules above).
    func requiredPath(_ key: String, environment: [String: String]) throws -> String {
        let text: String = try required(key)
        return try expandEnvironmentVariables(in: text, environment: environment, at: self[key]!.position)
    }

    /// As `requiredPath`, or nil if `key` is absent or null.
    func optionalPath(_ key: String, environment: [String: String]) throws -> String? {
        guard let text: String = try optional(key) else { return nil }
        return try expandEnvironmentVariables(in: text, environment: environment, at: self[key]!.position)
    }
}
