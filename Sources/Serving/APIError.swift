import Hummingbird
import Tasks

/// A request the server refuses: its status and the message the client reads as
/// `{"error": "..."}`, naming the field or the limit.
struct APIError: Error {
    var status: HTTPResponse.Status
    var message: String
    /// Seconds, for the Retry-After header of an overloaded server.
    var retryAfter: Int?

    static func badRequest(_ message: String) -> APIError {
        APIError(status: .badRequest, message: message)
    }

    static func tooLarge(_ message: String) -> APIError {
        APIError(status: .contentTooLarge, message: message)
    }

    static func unavailable(_ message: String, retryAfter: Int? = nil) -> APIError {
        APIError(status: .serviceUnavailable, message: message, retryAfter: retryAfter)
    }

    var response: Response {
        var response = Response.json(jsonLine(["error": .string(message)]), status: status)
        if let retryAfter { response.headers[.retryAfter] = String(retryAfter) }
        return response
    }
}

extension Response {
    /// A JSON body (already encoded) with its content type.
    static func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
