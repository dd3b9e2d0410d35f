import Backbone
import Foundation
import Hummingbird

/// A request's inputs as the client sent them: one object, answered with one object, or
/// `{"inputs": [...]}`, answered with a list. Options beside the inputs (embed's `pooling`,
/// `normalize`) stay in `body`.
struct RequestInputs {
    var inputs: [JSONValue]
    var isSingle: Bool
    var body: [String: JSONValue]

    var count: Int { inputs.count }

    /// How messages name a field of input `index`: `text` in a single input, `inputs[3].text` in a list.
    func path(of field: String, in index: Int) -> String {
        isSingle ? field : "inputs[\(index)].\(field)"
    }

    /// Reads the body (at most `limits.maxBodyBytes`) as JSON and finds its inputs (at most
    /// `limits.maxInputs`).
    static func read(_ request: Request, limits: ServingLimits) async throws -> RequestInputs {
        try parse(try await body(of: request, limit: limits.maxBodyBytes), maxInputs: limits.maxInputs)
    }

    static func body(of request: Request, limit: Int) async throws -> ByteBuffer {
        let tooLarge = APIError.tooLarge("body: larger than \(limit) bytes (--max-body-bytes)")
        // a declared length over the limit is refused before reading any of the body
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > limit { throw tooLarge }
        // a chunked body is counted as it arrives
        var body = ByteBuffer()
        for try await chunk in request.body {
            if body.readableBytes + chunk.readableBytes > limit { throw tooLarge }
            var chunk = chunk
            body.writeBuffer(&chunk)
        }
        return body
    }

    static func parse(_ buffer: ByteBuffer, maxInputs: Int) throws -> RequestInputs {
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: Data(buffer.readableBytesView))
        } catch {
            throw APIError.badRequest("body: not valid JSON")
        }
        guard case .object(let body) = value else {
            throw APIError.badRequest("body: expected a JSON object, found \(value.typeName)")
        }
        guard let list = body["inputs"] else {
            return RequestInputs(inputs: [value], isSingle: true, body: body)
        }
        guard case .array(let inputs) = list else {
            throw APIError.badRequest("inputs: expected an array of objects, found \(list.typeName)")
        }
        if inputs.isEmpty { throw APIError.badRequest("inputs: expected at least one input, found an empty array") }
        if inputs.count > maxInputs {
            throw APIError.tooLarge("inputs: \(inputs.count) inputs; at most \(maxInputs) per request (--max-inputs)")
        }
        for (index, input) in inputs.enumerated() {
            guard case .object = input else { throw APIError.badRequest("inputs[\(index)]: expected an object, found \(input.typeName)") }
        }
        return RequestInputs(inputs: inputs, isSingle: false, body: body)
    }
}

extension JSONValue {
    /// What a message calls a value of this kind ("a number", "an array", ...).
    var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}
