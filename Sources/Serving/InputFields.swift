import Backbone

/// The fields an input carries for each built-in task kind (the JSON lines of `bertkit
/// predict`), checked before encoding so that an error names the input and the field. A kind
/// that a plugin registers is checked by its own encoder, whose message is passed on.
struct InputFields {
    var required: [String]
    var optional: [String] = []

    static func forTaskKind(_ name: String) -> InputFields? {
        switch name {
        case "classification": return InputFields(required: ["text"], optional: ["text_pair"])
        case "token-classification": return InputFields(required: ["text"])
        case "span-extraction": return InputFields(required: ["question", "context"])
        default: return nil
        }
    }

    /// `/v1/embed`'s inputs.
    static let embedding = InputFields(required: ["text"])

    /// Throws a 400 naming the first field that is missing, not a string, or empty (only
    /// whitespace); an optional field may also be absent or null.
    func check(_ request: RequestInputs) throws {
        for (index, input) in request.inputs.enumerated() {
            guard case .object(let object) = input else { continue }  // RequestInputs checked
            for field in required {
                try Self.checkText(object[field], path: request.path(of: field, in: index), optional: false)
            }
            for field in optional {
                try Self.checkText(object[field], path: request.path(of: field, in: index), optional: true)
            }
        }
    }

    private static func checkText(_ value: JSONValue?, path: String, optional: Bool) throws {
        switch value {
        case nil, .null?:
            if !optional { throw APIError.badRequest("\(path): missing; expected a non-empty string") }
        case .string(let text)?:
            if text.unicodeScalars.allSatisfy(\.properties.isWhitespace) {
                throw APIError.badRequest("\(path): expected a non-empty string, found \(text.isEmpty ? "an empty one" : "only whitespace")")
            }
        case let other?:
            throw APIError.badRequest("\(path): expected a non-empty string, found \(other.typeName)")
        }
    }
}
