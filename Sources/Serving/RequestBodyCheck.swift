import Backbone
import Hummingbird
import Tasks

/// What the server makes of a request body before any model work: its inputs as `POST
/// /v1/predict` and `/v1/embed` find them (RequestInputs), each checked for the text fields the
/// task kind reads (InputFields). The routes themselves read the body from the connection; this
/// takes the bytes, for the fuzz targets (Sources/FuzzTargets) and their regression tests.
/// Throws the `APIError` a client would get in the response.
public enum RequestBodyCheck {
    /// The inputs of a `/v1/predict` body for a task kind that declares `fields` (nil: the
    /// kind's own encoder checks them).
    public static func predictInputs(body: [UInt8], maxInputs: Int, fields: PredictionFields?) throws -> [JSONValue] {
        let request = try RequestInputs.parse(ByteBuffer(bytes: body), maxInputs: maxInputs)
        try fields.map(InputFields.init)?.check(request)
        return request.inputs
    }

    /// The inputs of a `/v1/embed` body: each with a non-empty `text`.
    public static func embedInputs(body: [UInt8], maxInputs: Int) throws -> [JSONValue] {
        let request = try RequestInputs.parse(ByteBuffer(bytes: body), maxInputs: maxInputs)
        try InputFields.embedding.check(request)
        return request.inputs
    }
}
