import Backbone
import Tasks

/// The text fields an input carries (`TaskKind.predictionFields`), checked before encoding so
/// that an error names the input and the field. A task kind that declares none is checked by its
/// own encoder, whose message is passed on.
struct InputFields {
    var required: [String]
    var optional: [String] = []

    init(required: [String], optional: [String] = []) {
        self.required = required
        self.optional = optional
    }

    init(_ fields: PredictionFields) {
        self.init(required: fields.required, optional: fields.optional)
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
