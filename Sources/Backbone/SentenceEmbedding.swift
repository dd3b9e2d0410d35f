import Foundation
import Tensor

/// Sentence vectors from the backbone's output, as sentence-transformers computes them.
public enum SentenceEmbedding {
    public enum Pooling: String, CaseIterable, Sendable { case mean, cls, pooler }

    /// One vector per sequence: the mask-weighted mean of the tokens, [CLS]'s hidden state, or the
    /// tanh pooler's output; optionally L2-normalised.
    public static func vectors(_ output: BertOutput, batch: TokenBatch, pooling: Pooling, normalize: Bool) -> [[Float]] {
        let pooled: Tensor = Autograd.noGrad {
            switch pooling {
            case .mean: return maskedMeanPool(output.lastHiddenState, mask: batch.maskTensor, batch: batch.batchSize)
            case .cls: return selectTokens(output.lastHiddenState, positions: Array(repeating: 0, count: batch.batchSize), batch: batch.batchSize)
            case .pooler: return output.pooledOutput!
            }
        }
        let c = pooled.shape[1]
        return (0..<batch.batchSize).map { s in
            var v = Array(UnsafeBufferPointer(start: pooled.data + s * c, count: c))
            if normalize {
                // torch.nn.functional.normalize: x / max(||x||, 1e-12)
                let norm = max(v.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-12)
                v = v.map { $0 / norm }
            }
            return v
        }
    }

    public static func mean(_ output: BertOutput, batch: TokenBatch, normalize: Bool) -> [[Float]] {
        vectors(output, batch: batch, pooling: .mean, normalize: normalize)
    }

    public static func cosine(_ a: [Float], _ b: [Float]) -> Float {
        var dot: Float = 0, na: Float = 0, nb: Float = 0
        for i in 0..<a.count { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i] }
        return dot / max(na.squareRoot() * nb.squareRoot(), 1e-12)
    }
}
