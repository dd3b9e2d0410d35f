import Foundation
import Tensor

/// sgemm throughput on BERT's shapes at 16 x 128 tokens (M = 2048): what no model step can beat.
struct GemmBenchmark {
    struct Shape: Codable {
        var name: String
        var m: Int, n: Int, k: Int
        var transposeA: Bool, transposeB: Bool
    }

    struct Result: Codable {
        var shape: Shape
        var gflops: Summary
    }

    /// BERT-base's layer GEMMs (row-major C = op(A)·op(B)), plus the transposed layouts training runs.
    static func bertShapes(hidden c: Int = 768, intermediate f: Int = 3072, tokens m: Int = 2048) -> [Shape] {
        [Shape(name: "qkvo \(m)x\(c)·\(c)x\(c)", m: m, n: c, k: c, transposeA: false, transposeB: false),
         Shape(name: "ffn up \(m)x\(c)·\(c)x\(f)", m: m, n: f, k: c, transposeA: false, transposeB: false),
         Shape(name: "ffn down \(m)x\(f)·\(f)x\(c)", m: m, n: c, k: f, transposeA: false, transposeB: false),
         Shape(name: "ffn up x·Wᵀ (linear forward)", m: m, n: f, k: c, transposeA: false, transposeB: true),
         Shape(name: "ffn up dW = dYᵀ·X", m: f, n: c, k: m, transposeA: true, transposeB: false)]
    }

    var repeats: Int
    var minimumSeconds: Double

    /// GFLOP/s samples: each sample repeats the call for at least `minimumSeconds`.
    func run(_ shape: Shape) -> Result {
        let blas = OpenBLAS.shared
        let a = Tensor(zeros: [shape.m * shape.k]), b = Tensor(zeros: [shape.k * shape.n]), c = Tensor(zeros: [shape.m * shape.n])
        var stream = RandomStream(key: 1)
        for t in [a, b] { for i in 0..<t.count { t.data[i] = Float(stream.nextUniform()) - 0.5 } }
        func call() {
            blas.sgemm(transposeA: shape.transposeA, transposeB: shape.transposeB, m: shape.m, n: shape.n, k: shape.k,
                       a: a.data, lda: shape.transposeA ? shape.m : shape.k,
                       b: b.data, ldb: shape.transposeB ? shape.k : shape.n, c: c.data, ldc: shape.n)
        }
        call()  // warm-up: page in the buffers, start OpenBLAS's threads
        let flops = 2.0 * Double(shape.m) * Double(shape.n) * Double(shape.k)
        var samples: [Double] = []
        for _ in 0..<repeats {
            var calls = 0
            let start = now()
            var elapsed = 0.0
            repeat { call(); calls += 1; elapsed = now() - start } while elapsed < minimumSeconds
            samples.append(flops * Double(calls) / elapsed / 1e9)
        }
        return Result(shape: shape, gflops: Summary(samples))
    }
}
