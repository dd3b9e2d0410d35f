import Backbone
import Foundation
import Serving
import Tasks
import TaskFile
import Tokenizers

/// A request body as the server reads it: the inputs for `/v1/predict` of each built-in task
/// kind (checked for the kind's fields, encoded, answered from made-up outputs), and for
/// `/v1/embed`.
enum ServingBodyTarget {
    static let target = FuzzTarget(
        "serving-body", "request body -> inputs for /v1/predict (each task kind: encode, answer) and /v1/embed"
    ) { bytes in
        var accepted = false, firstError: Error?
        for (name, kind) in kinds {
            do {
                let inputs = try RequestBodyCheck.predictInputs(body: bytes, maxInputs: 16, fields: type(of: kind).predictionFields)
                try PredictionFlow.answer(inputs, with: kind, kindName: name)
                accepted = true
            } catch let failure as FuzzFailure {
                throw failure
            } catch {
                firstError = firstError ?? error
            }
        }
        do {
            for input in try RequestBodyCheck.embedInputs(body: bytes, maxInputs: 16) {
                guard case .object(let object) = input, case .string(let text)? = object["text"] else {
                    throw FuzzFailure(message: "an embed input without a text was accepted: \(input)")
                }
                _ = try Fixtures.uncased.encode(.text(text), truncation: Truncation(maxLength: 64))
            }
            accepted = true
        } catch let failure as FuzzFailure {
            throw failure
        } catch {
            firstError = firstError ?? error
        }
        if !accepted, let firstError { throw firstError }
    }

    /// One servable task kind of each built-in kind, as a checkpoint would describe it (a
    /// sentence classifier, a tagger, a reader, a fill-mask model), over the fixture tokenizer.
    /// A kind keeps the last inputs' windows between encoding and describing, as a server
    /// session does; the fuzzer runs one input at a time.
    nonisolated(unsafe) static let kinds: [(String, TaskKind)] = {
        _ = BuiltInsOnce.register
        func make(_ name: String, labels: [String], maxSeqLength: Int) -> (String, TaskKind) {
            var spec = TaskSpec(name: name, head: name, data: DataSpec(format: .jsonl), model: Scratch.root)
            spec.training.maxSeqLength = maxSeqLength
            (spec.training.docStride, spec.training.maxAnswerLength, spec.training.nBestSize) = (8, 10, 5)
            let context = TaskKindContext(spec: spec, tokenizer: Fixtures.uncased, checkpointLabels: labels, warn: { _ in })
            return (name, try! TaskKindRegistry.make(name, context: context))
        }
        return [make("classification", labels: ["negative", "positive"], maxSeqLength: 32),
                make("token-classification", labels: ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"], maxSeqLength: 16),
                make("span-extraction", labels: [], maxSeqLength: 32),
                make("language-modeling", labels: [], maxSeqLength: 32)]
    }()
}
