import Backbone
import Hummingbird
import Tasks
import Tokenizers

/// `POST /v1/embed`: sentence vectors from the model's backbone, as `bertkit embed` computes
/// them: `{"text"}` -> `{"embedding": [...]}`, `{"inputs": [{"text"}, ...]}` ->
/// `{"embeddings": [[...], ...]}`; `pooling` (mean, cls, or pooler when the checkpoint has one)
/// and `normalize` (L2) beside the text or the inputs.
struct EmbedRoute: Sendable {
    let tokenizer: BertTokenizer
    /// Tokens per text at most (the backbone's max_position_embeddings, as `bertkit embed`).
    let maxLength: Int
    let hasPooler: Bool
    let defaults: EmbeddingOptions
    let batcher: Batcher
    let limits: ServingLimits

    func respond(_ request: Request, context: ServingRequestContext) async -> Response {
        do {
            let inputs = try await RequestInputs.read(request, limits: limits)
            context.notes.inputs = inputs.count
            try InputFields.embedding.check(inputs)
            let options = try self.options(in: inputs.body)
            try batcher.admit(inputs: inputs.count)
            let features: [EncodedFeature]
            do {
                features = try encode(inputs)
            } catch {
                batcher.withdraw(inputs: inputs.count)
                throw APIError.badRequest("inputs: \(error)")
            }
            let outputs = try await batcher.submit(features, kind: .embed(options), inputs: inputs.count)
            let vectors = outputs.map { "[" + ($0.values["embedding"] ?? []).map { "\($0)" }.joined(separator: ",") + "]" }
            return .json(inputs.isSingle ? "{\"embedding\":\(vectors[0])}" : "{\"embeddings\":[" + vectors.joined(separator: ",") + "]}")
        } catch let error as APIError {
            return error.response
        } catch {
            return APIError(status: .internalServerError, message: "\(error)").response
        }
    }

    private func encode(_ inputs: RequestInputs) throws -> [EncodedFeature] {
        let truncation = Truncation(maxLength: maxLength, strategy: .longestFirst)
        return try inputs.inputs.enumerated().map { index, input in
            guard case .object(let object) = input, case .string(let text)? = object["text"] else {
                preconditionFailure("InputFields.embedding checked every input's text")
            }
            let ids = try tokenizer.encode(.text(text), truncation: truncation)[0].ids.map(Int32.init)
            return EncodedFeature(inputIDs: ids, tokenTypeIDs: Array(repeating: 0, count: ids.count), exampleIndex: index)
        }
    }

    /// The request's `pooling` and `normalize`, or the server's defaults.
    private func options(in body: [String: JSONValue]) throws -> EmbeddingOptions {
        var options = defaults
        let allowed: [SentenceEmbedding.Pooling] = hasPooler ? [.mean, .cls, .pooler] : [.mean, .cls]
        let expected = "expected " + allowed.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
        switch body["pooling"] {
        case nil, .null?: break
        case .string(let name)?:
            guard let pooling = SentenceEmbedding.Pooling(rawValue: name), allowed.contains(pooling) else {
                throw APIError.badRequest("pooling: \(expected), found \"\(name)\"")
            }
            options.pooling = pooling
        case let other?:
            throw APIError.badRequest("pooling: \(expected), found \(other.typeName)")
        }
        switch body["normalize"] {
        case nil, .null?: break
        case .bool(let normalize)?: options.normalize = normalize
        case let other?: throw APIError.badRequest("normalize: expected true or false, found \(other.typeName)")
        }
        return options
    }
}
