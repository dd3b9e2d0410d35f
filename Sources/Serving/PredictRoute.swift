import Backbone
import Hummingbird
import Runner
import Tasks

/// `POST /v1/predict`: the inputs of `bertkit predict` for the model's task kind, answered
/// exactly as `bertkit predict` answers them (the same ServableModel calls), one object for
/// one object, `{"predictions": [...]}` for `{"inputs": [...]}`.
struct PredictRoute: Sendable {
    let sessions: SessionPool
    let batcher: Batcher
    let limits: ServingLimits
    /// nil for a task kind a plugin registered: its own encoder checks the inputs.
    let fields: InputFields?

    func respond(_ request: Request, context: ServingRequestContext) async -> Response {
        do {
            let inputs = try await RequestInputs.read(request, limits: limits)
            context.notes.inputs = inputs.count
            try fields?.check(inputs)
            // admitted before tokenizing: an overloaded server refuses at once, for nothing
            try batcher.admit(inputs: inputs.count)
            let session: ServableModel
            do {
                session = try sessions.take()
            } catch {
                batcher.withdraw(inputs: inputs.count)
                throw error
            }
            defer { sessions.put(session) }
            let features: [EncodedFeature]
            do {
                features = try session.features(for: inputs.inputs)
            } catch {
                batcher.withdraw(inputs: inputs.count)
                throw APIError.badRequest("inputs: \(error)")
            }
            let outputs = try await batcher.submit(features, kind: .predict, inputs: inputs.count)
            let answers = try session.describe(inputs.inputs, outputs: outputs)
            return .json(inputs.isSingle ? answers[0] : "{\"predictions\":[" + answers.joined(separator: ",") + "]}")
        } catch let error as APIError {
            return error.response
        } catch {
            return APIError(status: .internalServerError, message: "\(error)").response
        }
    }
}
