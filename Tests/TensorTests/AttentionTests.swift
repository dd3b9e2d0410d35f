import Foundation
import XCTest
@testable import Tensor

final class AttentionTests: XCTestCase {
    /// softmax(Q·Kᵀ/√D + mask)·V per batch and head, in Double; `keep` is the dropout factor of
    /// element (bh, i, j) (1 without dropout).
    func referenceAttention(_ q: [Double], _ k: [Double], _ v: [Double], mask: [Double],
                            b: Int, t: Int, h: Int, d: Int, keep: (Int, Int, Int) -> Double) -> [Double] {
        let c = h * d
        var out = [Double](repeating: 0, count: b * t * c)
        for s in 0..<b { for head in 0..<h {
            let bh = s * h + head
            for i in 0..<t {
                var scores = [Double](repeating: 0, count: t)
                for j in 0..<t {
                    var dot = 0.0
                    for e in 0..<d { dot += q[(s * t + i) * c + head * d + e] * k[(s * t + j) * c + head * d + e] }
                    scores[j] = dot / Double(d).squareRoot() + mask[s * t + j]
                }
                let p = referenceSoftmax(scores, width: t)
                for e in 0..<d {
                    var sum = 0.0
                    for j in 0..<t { sum += p[j] * keep(bh, i, j) * v[(s * t + j) * c + head * d + e] }
                    out[(s * t + i) * c + head * d + e] = sum
                }
            }
        } }
        return out
    }

    /// A padding mask as transformers builds it: 0 where attended, float32's lowest where padded.
    func paddingMask(lengths: [Int], t: Int) -> Tensor {
        Tensor(shape: [lengths.count, t], values: lengths.flatMap { n in (0..<t).map { $0 < n ? 0 : -Float.greatestFiniteMagnitude } })
    }

    func testForwardAndGradientsWithPadding() {
        let (b, t, h, d) = (2, 5, 3, 4)
        let q = GradientCheck.random([b * t, h * d], seed: 31), k = GradientCheck.random([b * t, h * d], seed: 32)
        let v = GradientCheck.random([b * t, h * d], seed: 33)
        let mask = paddingMask(lengths: [5, 3], t: t)
        var stream = RandomStream(key: 1)
        GradientCheck().run([q, k, v], forward: {
            attention(query: $0[0], key: $0[1], value: $0[2], additiveMask: mask, batch: b, heads: h, stream: &stream)
        }, reference: { x in
            self.referenceAttention(x[0], x[1], x[2], mask: mask.values.map(Double.init), b: b, t: t, h: h, d: d, keep: { _, _, _ in 1 })
        })
    }

    func testDropoutOnProbabilitiesUsesTheSameMaskInBackward() {
        let (b, t, h, d) = (1, 7, 2, 3)
        let q = GradientCheck.random([b * t, h * d], seed: 34), k = GradientCheck.random([b * t, h * d], seed: 35)
        let v = GradientCheck.random([b * t, h * d], seed: 36)
        let mask = paddingMask(lengths: [6], t: t)
        let p: Float = 0.3
        var stream = RandomStream(key: 99, counter: 5)
        let start = stream.counter
        GradientCheck().run([q, k, v], forward: {
            attention(query: $0[0], key: $0[1], value: $0[2], additiveMask: mask, batch: b, heads: h,
                      dropout: p, training: true, stream: &stream)
        }, reference: { x in
            self.referenceAttention(x[0], x[1], x[2], mask: mask.values.map(Double.init), b: b, t: t, h: h, d: d, keep: { bh, i, j in
                Double(dropoutFactor(key: 99, start: start, index: (bh * t + i) * t + j, probability: p))
            })
        })
        XCTAssertEqual(stream.counter, start + UInt64((b * h * t * t + 3) / 4), "reserved one block per 4 probabilities")
    }

    func testWithoutAGraphTheSameBitsAndNothingKept() {
        let (b, t, h, d) = (3, 9, 2, 4)
        let q = GradientCheck.random([b * t, h * d], seed: 37), k = GradientCheck.random([b * t, h * d], seed: 38)
        let v = GradientCheck.random([b * t, h * d], seed: 39)
        let mask = paddingMask(lengths: [9, 4, 7], t: t)
        for (p, training) in [(Float(0), false), (Float(0.2), true)] {
            var recordedStream = RandomStream(key: 5), freeStream = RandomStream(key: 5)
            let recorded = attention(query: q, key: k, value: v, additiveMask: mask, batch: b, heads: h,
                                     dropout: p, training: training, stream: &recordedStream)
            let free = Autograd.noGrad {
                attention(query: q, key: k, value: v, additiveMask: mask, batch: b, heads: h,
                          dropout: p, training: training, stream: &freeStream)
            }
            XCTAssertNotNil(recorded.node)
            XCTAssertNil(free.node, "no graph, so no probabilities kept")
            XCTAssertEqual(free.values, recorded.values, "dropout \(p)")
        }
    }

    /// The packed layout in Double: each sequence of `lengths` attends within itself; pair
    /// (s, h)'s element (i, j) is flat index blockStart(s) + h·L² + i·L + j for `keep`.
    func referencePackedAttention(_ q: [Double], _ k: [Double], _ v: [Double], lengths: [Int], h: Int, d: Int,
                                  keep: (Int) -> Double) -> [Double] {
        let c = h * d
        var out = [Double](), start = 0, block = 0
        for l in lengths {
            let rows = (start * c)..<((start + l) * c)
            out += referenceAttention(Array(q[rows]), Array(k[rows]), Array(v[rows]), mask: Array(repeating: 0, count: l),
                                      b: 1, t: l, h: h, d: d, keep: { head, i, j in keep(block + head * l * l + i * l + j) })
            start += l
            block += h * l * l
        }
        return out
    }

    func testPackedSequencesForwardAndGradients() {
        let (lengths, h, d) = ([4, 1, 6, 3], 2, 3)
        let n = lengths.reduce(0, +)
        let q = GradientCheck.random([n, h * d], seed: 41), k = GradientCheck.random([n, h * d], seed: 42)
        let v = GradientCheck.random([n, h * d], seed: 43)
        var stream = RandomStream(key: 2)
        GradientCheck().run([q, k, v], forward: {
            attention(query: $0[0], key: $0[1], value: $0[2], layout: .packed(sequenceLengths: lengths), heads: h, stream: &stream)
        }, reference: { x in
            self.referencePackedAttention(x[0], x[1], x[2], lengths: lengths, h: h, d: d, keep: { _ in 1 })
        })
    }

    func testPackedDropoutIndexesEachPairsBlock() {
        let (lengths, h, d) = ([3, 5], 2, 2)
        let n = lengths.reduce(0, +)
        let q = GradientCheck.random([n, h * d], seed: 44), k = GradientCheck.random([n, h * d], seed: 45)
        let v = GradientCheck.random([n, h * d], seed: 46)
        let p: Float = 0.25
        var stream = RandomStream(key: 7, counter: 11)
        let start = stream.counter
        GradientCheck().run([q, k, v], forward: {
            attention(query: $0[0], key: $0[1], value: $0[2], layout: .packed(sequenceLengths: lengths), heads: h,
                      dropout: p, training: true, stream: &stream)
        }, reference: { x in
            self.referencePackedAttention(x[0], x[1], x[2], lengths: lengths, h: h, d: d, keep: { index in
                Double(dropoutFactor(key: 7, start: start, index: index, probability: p))
            })
        })
        XCTAssertEqual(stream.counter, start + UInt64((h * (9 + 25) + 3) / 4), "one block per 4 probabilities of every pair")
    }

    /// Packing drops the padding rows and nothing else: the real tokens' outputs and the
    /// gradients they send back are the padded layout's.
    func testPackedEqualsPaddedAtRealTokens() {
        let (lengths, t, h, d) = ([7, 2, 5], 7, 3, 4)
        let c = h * d
        let padded = (0..<3).map { GradientCheck.random([lengths.count * t, c], seed: 50 + UInt64($0)) }
        let realRows = lengths.enumerated().flatMap { s, l in (0..<l).map { s * t + $0 } }
        let packed = padded.map { x in
            Tensor(shape: [realRows.count, c], values: realRows.flatMap { row in x.values[(row * c)..<((row + 1) * c)] }, requiresGrad: true)
        }
        var stream = RandomStream(key: 3)
        let paddedOut = attention(query: padded[0], key: padded[1], value: padded[2],
                                  additiveMask: paddingMask(lengths: lengths, t: t), batch: lengths.count, heads: h, stream: &stream)
        let packedOut = attention(query: packed[0], key: packed[1], value: packed[2],
                                  layout: .packed(sequenceLengths: lengths), heads: h, stream: &stream)
        let paddedAtReal = realRows.flatMap { row in paddedOut.values[(row * c)..<((row + 1) * c)] }
        XCTAssertLessThanOrEqual(zip(paddedAtReal, packedOut.values).map { abs($0 - $1) }.max()!, 1e-6)
        // an upstream gradient only on real tokens (what a loss that ignores padding sends)
        var g = SplitMix64(seed: 9)
        let upstream = (0..<packedOut.count).map { _ in Float(g.nextUniform() * 2 - 1) }
        var paddedUpstream = [Float](repeating: 0, count: paddedOut.count)
        for (i, row) in realRows.enumerated() { for j in 0..<c { paddedUpstream[row * c + j] = upstream[i * c + j] } }
        paddedOut.backward(gradient: Tensor(shape: paddedOut.shape, values: paddedUpstream))
        packedOut.backward(gradient: Tensor(shape: packedOut.shape, values: upstream))
        for input in 0..<3 {
            let paddedGrad = padded[input].grad!.values, packedGrad = packed[input].grad!.values
            let atReal = realRows.flatMap { row in paddedGrad[(row * c)..<((row + 1) * c)] }
            XCTAssertLessThanOrEqual(zip(atReal, packedGrad).map { abs($0 - $1) }.max()!, 1e-6, "input \(input)")
        }
    }

    /// q, k, v side by side in one (rows, 3C) tensor: the same values as three tensors, and
    /// gradients against float64 finite differences through the column blocks.
    func testConcatenatedQKVInput() {
        let (lengths, h, d) = ([5, 2, 4], 2, 3)
        let n = lengths.reduce(0, +), c = h * d
        let qkv = GradientCheck.random([n, 3 * c], seed: 60)
        func block(_ values: [Double], _ part: Int) -> [Double] {
            var out = [Double]()
            for row in 0..<n {
                let first: Int = row * 3 * c + part * c
                out += values[first..<(first + c)]
            }
            return out
        }
        var stream = RandomStream(key: 4)
        GradientCheck().run([qkv], forward: {
            attention(qkv: $0[0], layout: .packed(sequenceLengths: lengths), heads: h, stream: &stream)
        }, reference: { x in
            self.referencePackedAttention(block(x[0], 0), block(x[0], 1), block(x[0], 2), lengths: lengths, h: h, d: d, keep: { _ in 1 })
        })
        // with dropout, the same bits as the three-tensor form from the same stream position
        let parts = (0..<3).map { part in Tensor(shape: [n, c], values: block(qkv.values.map(Double.init), part).map(Float.init)) }
        var s1 = RandomStream(key: 5), s2 = RandomStream(key: 5)
        let fromOne = attention(qkv: qkv, layout: .packed(sequenceLengths: lengths), heads: h, dropout: 0.2, training: true, stream: &s1)
        let fromThree = attention(query: parts[0], key: parts[1], value: parts[2], layout: .packed(sequenceLengths: lengths), heads: h,
                                  dropout: 0.2, training: true, stream: &s2)
        XCTAssertEqual(fromOne.values, fromThree.values)
        XCTAssertEqual(s1, s2)
    }
}
