import Backbone
import Foundation
import Heads
import Tokenizers

// `bertkit predict` (and `serve`) on a masked-LM checkpoint: transformers' fill-mask pipeline.
// Each input {"text": "paris is the [MASK] of france."} is tokenized as the pipeline's tokenizer
// call does (truncated to max_seq_length, which the pipeline does not do); for each [MASK], in
// order, the `top_k` most likely tokens by softmax probability, each with the text decoded with
// that token in the [MASK]'s place, as the pipeline decodes it (special tokens skipped when the
// text has one [MASK], kept when it has several).

extension LanguageModelingTask {
    static var predictionFields: PredictionFields? { PredictionFields(required: ["text"]) }

    /// The input's tokens and the positions of its [MASK] tokens.
    private func encodeForFilling(_ line: JSONValue, index: Int) throws -> (encoding: Encoding, masks: [Int]) {
        guard case .object(let object) = line, case .string(let text)? = object["text"] else {
            throw TaskError.invalid("line \(index + 1): expected {\"text\": ...} with one or more \(tokenizer.options.maskToken)")
        }
        let length = spec.training.maxSeqLength
        let encoding = try tokenizer.encode(.text(text), truncation: Truncation(maxLength: length))[0]
        let masks = encoding.ids.indices.filter { encoding.ids[$0] == Int(masking.maskID) }
        guard !masks.isEmpty else {
            throw TaskError.invalid("line \(index + 1): no \(tokenizer.options.maskToken) in \"text\"\(encoding.count == length ? " within its first \(length) tokens" : ""): fill-mask predicts the tokens at [MASK]")
        }
        return (encoding, masks)
    }

    func predictionFeatures(for lines: [JSONValue]) throws -> [EncodedFeature] {
        try lines.enumerated().map { index, line in
            let (encoding, masks) = try encodeForFilling(line, index: index)
            return EncodedFeature(inputIDs: encoding.ids.map(Int32.init), tokenTypeIDs: encoding.typeIds.map(Int32.init),
                                  exampleIndex: index, targets: MaskedPositions([masks]))
        }
    }

    /// {"masks": [{"start", "end", "tokens": [{"token", "token_str", "score", "sequence"}]}]}: per
    /// [MASK] its code-point offsets in the text and its top-k tokens, most likely first.
    func describePredictions(for lines: [JSONValue], outputs: [FeatureOutput]) throws -> [String] {
        let tokenCount = tokenizer.vocabulary.count
        return try zip(lines, outputs).enumerated().map { index, pair in
            let (encoding, masks) = try encodeForFilling(pair.0, index: index)
            // Each [MASK] has config.json's vocab_size logits, which may exceed the tokenizer's
            // tokens (vocabularies padded to a multiple of 8 or 64): the softmax runs over all of
            // them, as transformers' pipeline does, and the top-k is drawn from real tokens only.
            let v = logitsPerMask
            guard let logits = pair.1.values[MaskedLMHead.maskLogitsOutput], v >= tokenCount, logits.count >= masks.count * v else {
                throw TaskError.invalid("task `\(spec.name)`: fill-mask reads the logits of head `masked-lm`")
            }
            let described: [JSONValue] = masks.enumerated().map { j, position in
                let probabilities = softmaxProbabilities(Array(logits[(j * v)..<((j + 1) * v)]))
                let tokens: [JSONValue] = Self.largest(spec.training.topK, of: Array(probabilities.prefix(tokenCount))).map { token in
                    // the token goes in at the [MASK]'s position first, then [PAD]s are dropped
                    // (the pipeline's order): a text may hold "[PAD]" itself
                    var filled = encoding.ids
                    filled[position] = token
                    filled.removeAll { $0 == tokenizer.padId }
                    return .object(["token": .number(Double(token)), "score": .number(probabilities[token]),
                                    "token_str": .string(tokenizer.decode([token], skipSpecialTokens: false)),
                                    "sequence": .string(tokenizer.decode(filled, skipSpecialTokens: masks.count == 1))])
                }
                let offsets = encoding.offsets[position]
                return .object(["start": .number(Double(offsets.lowerBound)), "end": .number(Double(offsets.upperBound)),
                                "tokens": .array(tokens)])
            }
            return jsonLine(["masks": .array(described)])
        }
    }

    /// The indices of the `k` largest values, largest first (ties: the lower index first).
    static func largest(_ k: Int, of values: [Double]) -> [Int] {
        var best: [Int] = []
        for i in values.indices {
            guard best.count < k || values[i] > values[best[best.count - 1]] else { continue }
            let at = best.firstIndex { values[i] > values[$0] } ?? best.count
            best.insert(i, at: at)
            if best.count > k { best.removeLast() }
        }
        return best
    }
}
