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

    /// The GEMMs one encoder layer runs, in the engine's layouts: the forward's four linear maps
    /// (query, key and value as one, x·Wᵀ), and for training each one's input gradient (dy·W)
    /// and weight gradient (dyᵀ·x; query, key and value's three from one (M, 3C) gradient).
    static func layerShapes(hidden c: Int, intermediate f: Int, tokens m: Int, training: Bool) -> [Shape] {
        let linears = [(name: "query/key/value", outputs: 3 * c, inputs: c), (name: "attention output", outputs: c, inputs: c),
                       (name: "intermediate", outputs: f, inputs: c), (name: "output", outputs: c, inputs: f)]
        var shapes = linears.map { Shape(name: "\($0.name) forward", m: m, n: $0.outputs, k: $0.inputs, transposeA: false, transposeB: true) }
        guard training else { return shapes }
        for linear in linears {
            shapes.append(Shape(name: "\(linear.name) input gradient", m: m, n: linear.inputs, k: linear.outputs,
                                transposeA: false, transposeB: false))
            let blocks = linear.name == "query/key/value" ? 3 : 1
            for _ in 0..<blocks {
                shapes.append(Shape(name: "\(linear.name) weight gradient", m: linear.outputs / blocks, n: linear.inputs, k: m,
                                    transposeA: true, transposeB: false))
            }
        }
        return shapes
    }

    /// The rate of running every shape once: total FLOPs over the sum of each shape's time at its own rate.
    static func combinedRate(_ results: [Result]) -> Double {
        let flops = results.map { 2.0 * Double($0.shape.m) * Double($0.shape.n) * Double($0.shape.k) }
        let seconds = zip(flops, results).map { $0 / ($1.gflops.median * 1e9) }.reduce(0, +)
        return flops.reduce(0, +) / seconds / 1e9
    }

    var repeats: Int
    var minimumSeconds: Double
    /// `library`: one call threaded by OpenBLAS, the peer's GEMM reference. `split`: as the engine runs it.
    var threading: GemmThreading = .library

    /// GFLOP/s samples: each sample repeats the call for at least `minimumSeconds`.
    func run(_ shape: Shape) -> Result {
        let blas = OpenBLAS.shared
        let engineThreading = blas.threading
        blas.threading = threading
        defer { blas.threading = engineThreading }
        let a = Tensor(zeros: [shape.m * shape.k]), b = Tensor(zeros: [shape.k * shape.n]), c = Tensor(zeros: [shape.m * shape.n])
        var stream = RandomStream(key: 1)
        for t in [a, b] { for i in 0..<t.count { t.data[i] = Float(stream.nextUniform()) - 0.5 } }
        return measure(shape) {
            blas.sgemm(transposeA: shape.transposeA, transposeB: shape.transposeB, m: shape.m, n: shape.n, k: shape.k,
                       a: a.data, lda: shape.transposeA ? shape.m : shape.k,
                       b: b.data, ldb: shape.transposeB ? shape.k : shape.n, c: c.data, ldc: shape.n)
        }
    }

    /// The same with bf16 operands (rounded once, outside the timing) and a float32 C, through
    /// oneDNN's matmul as the engine's bf16 GEMMs call it: the bf16 GEMM rate.
    func runBF16(_ shape: Shape, oneDNN: OneDNN) -> Result {
        let a = Tensor(zeros: [shape.m * shape.k]), b = Tensor(zeros: [shape.k * shape.n]), c = Tensor(zeros: [shape.m * shape.n])
        var stream = RandomStream(key: 1)
        for t in [a, b] { for i in 0..<t.count { t.data[i] = Float(stream.nextUniform()) - 0.5 } }
        var a16 = [UInt16](repeating: 0, count: a.count), b16 = [UInt16](repeating: 0, count: b.count)
        BFloat16.round(a.data, count: a.count, into: &a16)
        BFloat16.round(b.data, count: b.count, into: &b16)
        return a16.withUnsafeBufferPointer { pa in b16.withUnsafeBufferPointer { pb in
            measure(shape) {
                oneDNN.matmulBF16(transposeA: shape.transposeA, transposeB: shape.transposeB, m: shape.m, n: shape.n, k: shape.k,
                                  a: pa.baseAddress!, lda: shape.transposeA ? shape.m : shape.k,
                                  b: pb.baseAddress!, ldb: shape.transposeB ? shape.k : shape.n, c: c.data, ldc: shape.n)
            }
        } }
    }

    private func measure(_ shape: Shape, _ call: () -> Void) -> Result {
        call()  // warm-up: page in the buffers, start the library's threads
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
