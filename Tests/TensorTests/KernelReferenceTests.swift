import CKernels
import XCTest
@testable import Tensor

/// The C kernels (CKernels) against the plain Swift references kept beside the ops.
final class KernelReferenceTests: XCTestCase {
    func values(_ n: Int, scale: Float, seed: UInt64) -> [Float] {
        var g = SplitMix64(seed: seed)
        return (0..<n).map { _ in Float(g.nextUniform() * 2 - 1) * scale }
    }

    func testGELUBackwardKernelsWriteOrAdd() {
        let x = values(257, scale: 5, seed: 2), dy = values(257, scale: 1, seed: 3)
        let kernels = [(bk_gelu_erf_backward, geluErfDerivative), (bk_gelu_tanh_backward, geluTanhDerivative)]
        for (kernel, derivative) in kernels {
            var written = [Float](repeating: .nan, count: x.count)      // whatever was there is ignored
            kernel(x, dy, &written, 0, 0, x.count)
            var added = [Float](repeating: 0.25, count: x.count)
            kernel(x, dy, &added, 1, 0, x.count)
            for i in x.indices {
                XCTAssertEqual(written[i], dy[i] * derivative(x[i]), accuracy: 3e-6, "element \(i) written")
                XCTAssertEqual(added[i], 0.25 + written[i], "element \(i) added to what was there")
            }
        }
    }

    func testGELUKernelsAgainstTheirReferences() {
        let x = values(1000, scale: 8, seed: 1) + [0, -0, 1e-8, -1e-8, 30, -30]
        var y = [Float](repeating: 0, count: x.count), dx = [Float](repeating: 0, count: x.count)
        let ones = [Float](repeating: 1, count: x.count)
        bk_gelu_erf_forward(x, &y, 0, x.count)
        bk_gelu_erf_backward(x, ones, &dx, 1, 0, x.count)
        for i in x.indices {
            XCTAssertEqual(y[i], geluErf(x[i]), accuracy: 3e-7 * max(1, abs(x[i])), "gelu(\(x[i]))")
            XCTAssertEqual(dx[i], geluErfDerivative(x[i]), accuracy: 3e-6, "gelu'(\(x[i]))")
        }
        y = [Float](repeating: 0, count: x.count); dx = [Float](repeating: 0, count: x.count)
        bk_gelu_tanh_forward(x, &y, 0, x.count)
        bk_gelu_tanh_backward(x, ones, &dx, 1, 0, x.count)
        for i in x.indices {
            XCTAssertEqual(y[i], geluTanh(x[i]), accuracy: 3e-7 * max(1, abs(x[i])), "gelu_new(\(x[i]))")
            XCTAssertEqual(dx[i], geluTanhDerivative(x[i]), accuracy: 3e-6, "gelu_new'(\(x[i]))")
        }
    }

    func testOnePassGELUValueAndDerivativeEqualTheTwoKernelsBitForBit() {
        let x = values(1003, scale: 8, seed: 4) + [0, -0, 1e-8, -1e-8, 30, -30]
        let dy = values(x.count, scale: 1, seed: 5)
        typealias Kernels = (onePass: (UnsafePointer<Float>?, UnsafeMutablePointer<Float>?, UnsafeMutablePointer<Float>?, Int, Int) -> Void,
                             forward: (UnsafePointer<Float>?, UnsafeMutablePointer<Float>?, Int, Int) -> Void,
                             backward: (UnsafePointer<Float>?, UnsafePointer<Float>?, UnsafeMutablePointer<Float>?, Int32, Int, Int) -> Void)
        let kinds: [Kernels] = [(bk_gelu_erf_value_and_derivative, bk_gelu_erf_forward, bk_gelu_erf_backward),
                                (bk_gelu_tanh_value_and_derivative, bk_gelu_tanh_forward, bk_gelu_tanh_backward)]
        for kernels in kinds {
            var y = [Float](repeating: .nan, count: x.count), d = y, yReference = y
            kernels.onePass(x, &y, &d, 0, x.count)
            kernels.forward(x, &yReference, 0, x.count)
            for accumulate: Int32 in [0, 1] {
                var fused = [Float](repeating: accumulate == 1 ? 0.25 : .nan, count: x.count), reference = fused
                bk_multiply(dy, d, &fused, accumulate, 0, x.count)
                kernels.backward(x, dy, &reference, accumulate, 0, x.count)
                for i in x.indices {
                    XCTAssertEqual(fused[i].bitPattern, reference[i].bitPattern, "dx at \(x[i]), accumulate \(accumulate)")
                }
            }
            for i in x.indices { XCTAssertEqual(y[i].bitPattern, yReference[i].bitPattern, "gelu(\(x[i]))") }
        }
    }

    func testSoftmaxKernelAgainstItsReference() {
        let cols = 37, rows = 5
        let x = values(rows * cols, scale: 20, seed: 2)
        let mask = (0..<cols).map { $0 > 30 ? -Float.greatestFiniteMagnitude : 0 }
        var kernel = x
        bk_softmax_rows(&kernel, mask, cols, 0, rows)
        for r in 0..<rows {
            var masked = Array(x[r * cols..<(r + 1) * cols])
            for j in 0..<cols { masked[j] += mask[j] }
            var reference = [Float](repeating: 0, count: cols)
            softmaxRow(masked, &reference, cols)
            for j in 0..<cols { XCTAssertEqual(kernel[r * cols + j], reference[j], accuracy: 1e-6, "row \(r) col \(j)") }
            XCTAssertEqual(kernel[r * cols + 35], 0, "masked key")
        }
    }

    func testColumnSumsKernelEqualsItsReferenceBitForBit() {
        let rows = 37, columns = 131, stride = 140
        let m = values(rows * stride, scale: 2, seed: 9), start = values(columns, scale: 1, seed: 10)
        var kernel = start, reference = start
        m.withUnsafeBufferPointer { pm in
            addColumnSums(pm.baseAddress!, rows: rows, columns: columns, rowStride: stride, into: &kernel)
            addColumnSumsReference(pm.baseAddress!, rows: rows, columns: columns, rowStride: stride, into: &reference)
        }
        XCTAssertEqual(kernel, reference)
        XCTAssertNotEqual(kernel, start)
    }

    func testLayerNormKernelAgainstItsReference() {
        let cols = 384, rows = 3
        let x = values(rows * cols, scale: 3, seed: 3), gamma = values(cols, scale: 1, seed: 4), beta = values(cols, scale: 1, seed: 5)
        let pinned = PinnedArrays(), output = pinned.pin([Float](repeating: 0, count: x.count))
        bk_layer_norm_forward(bk_layer_norm_forward_args(
            x: pinned.pin(x), keep: nil, keep_scale: 1, residual: nil, sum_out: nil, gamma: pinned.pin(gamma),
            beta: pinned.pin(beta), y: output, mean: pinned.pin([Float](repeating: 0, count: rows)),
            rstd: pinned.pin([Float](repeating: 0, count: rows)), cols: cols, eps: 1e-12), 0, rows)
        let y = pinned.read(output, count: x.count)
        var reference = [Float](repeating: 0, count: cols)
        for r in 0..<rows {
            x.withUnsafeBufferPointer { px in
                layerNormRowReference(px.baseAddress! + r * cols, gamma: gamma, beta: beta, out: &reference, channels: cols, eps: 1e-12)
            }
            for j in 0..<cols { XCTAssertEqual(y[r * cols + j], reference[j], accuracy: 2e-6, "row \(r) col \(j)") }
        }
    }

    func testAdamWKernelEqualsTheSwiftReferenceBitForBit() {
        let n = 1003
        let c = AdamWCoefficients(learningRate: 1e-3, weightDecay: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, step: 3)
        var p1 = values(n, scale: 1, seed: 6), m1 = values(n, scale: 0.1, seed: 7), v1 = values(n, scale: 0.01, seed: 8).map(abs)
        var p2 = p1, m2 = m1, v2 = v1
        let g = values(n, scale: 0.5, seed: 9)
        let pinned = PinnedArrays(), pp = pinned.pin(p1), pm = pinned.pin(m1), pv = pinned.pin(v1)
        bk_adamw_update(c.kernelArguments(param: pp, grad: pinned.pin(g), gradientScale: 1, m: pm, v: pv), 0, n)
        (p1, m1, v1) = (pinned.read(pp, count: n), pinned.read(pm, count: n), pinned.read(pv, count: n))
        p2.withUnsafeMutableBufferPointer { pp in m2.withUnsafeMutableBufferPointer { pm in v2.withUnsafeMutableBufferPointer { pv in
            g.withUnsafeBufferPointer { pg in
                AdamWKernel.update(param: pp.baseAddress!, grad: pg.baseAddress!, m: pm.baseAddress!, v: pv.baseAddress!, range: 0..<n, c)
            }
        } } }
        XCTAssertEqual(p1.map(\.bitPattern), p2.map(\.bitPattern))
        XCTAssertEqual(m1.map(\.bitPattern), m2.map(\.bitPattern))
        XCTAssertEqual(v1.map(\.bitPattern), v2.map(\.bitPattern))
    }

    func testSoftmaxWithDropoutFusedEqualsTheSeparateKernelsBitForBit() {
        let cols = 45, rows = 7, scale: Float = 1 / 0.9
        let scores = values(rows * cols, scale: 6, seed: 8), upstream = values(rows * cols, scale: 1, seed: 9)
        let mask = (0..<cols).map { $0 > 40 ? -Float.greatestFiniteMagnitude : 0 }
        var keep = [UInt8](repeating: 0, count: rows * cols)
        bk_dropout_mask(&keep, 3, 0, 0, 0.1, 0, keep.count)
        // forward: softmax then the mask applied, against both at once
        var p = scores, dropped = [Float](repeating: .nan, count: scores.count)
        bk_softmax_rows(&p, mask, cols, 0, rows)
        bk_apply_mask(p, &dropped, keep, scale, 0, 0, p.count)
        var fusedP = scores, fusedDropped = [Float](repeating: .nan, count: scores.count)
        bk_softmax_dropout_rows(&fusedP, mask, keep, scale, &fusedDropped, cols, 0, rows)
        XCTAssertEqual(fusedP.map(\.bitPattern), p.map(\.bitPattern))
        XCTAssertEqual(fusedDropped.map(\.bitPattern), dropped.map(\.bitPattern))
        // backward: the mask applied in place then softmax's backward, against both at once
        var g = upstream
        g.withUnsafeMutableBufferPointer { bk_apply_mask($0.baseAddress, $0.baseAddress, keep, scale, 0, 0, $0.count) }
        bk_softmax_backward_rows(p, &g, cols, 0, rows)
        var fusedG = upstream
        bk_softmax_dropout_backward_rows(p, &fusedG, keep, scale, cols, 0, rows)
        XCTAssertEqual(fusedG.map(\.bitPattern), g.map(\.bitPattern))
        XCTAssertTrue(keep.contains(0) && keep.contains(1), "the mask drops some and keeps some")
    }

    func testEveryVectorPathDrawsThePortableLoopsMaskAcrossCounterCarries() {
        // every vector path this CPU runs (AVX-512 and AVX2 on this project's machines) against
        // the portable loop: counters whose low word wraps inside a group (the carry into the
        // high word), thread sub-ranges that start and end mid-group, several whole groups and a
        // ragged tail; and every path, the portable one included, against the per-element
        // Philox reference
        let widest = Int(bk_dropout_mask_widest_target())
        let n = 3000
        for target in 0...widest {
            for start: UInt64 in [0, 0xFFFF_FFF0, 0x1_FFFF_FFF9, 987_654_321] {
                for (begin, end) in [(0, n), (1, n - 1), (5, 133), (64, 2048), (7, 70)] where target > 0 {
                    var portable = [UInt8](repeating: 9, count: n), vector = portable
                    bk_dropout_mask_on(0, &portable, 0xABCD_EF01_2345_6789, start, 13, 0.3, begin, end)
                    bk_dropout_mask_on(Int32(target), &vector, 0xABCD_EF01_2345_6789, start, 13, 0.3, begin, end)
                    XCTAssertEqual(vector, portable, "path \(target), start \(start), range \(begin)..<\(end)")
                }
                var vector = [UInt8](repeating: 9, count: 256)
                bk_dropout_mask_on(Int32(target), &vector, 5, start, 0, 0.1, 0, 256)
                for i in 0..<256 {
                    XCTAssertEqual(vector[i] == 1, dropoutFactor(key: 5, start: start, index: i, probability: 0.1) > 0, "path \(target), start \(start), element \(i)")
                }
            }
        }
    }

    func testVectorisedMaskEqualsPerElementPhilox() {
        let n = 1001, first = 13
        var mask = [UInt8](repeating: 9, count: n)
        bk_dropout_mask(&mask, 77, 5, first, 0.3, 0, n)
        for i in 0..<n {
            XCTAssertEqual(mask[i] == 1, dropoutFactor(key: 77, start: 5, index: first + i, probability: 0.3) > 0, "element \(i)")
        }
        // a thread's sub-range: the same values there, nothing written outside it
        var part = [UInt8](repeating: 9, count: n)
        bk_dropout_mask(&part, 77, 5, first, 0.3, 70, 901)
        XCTAssertEqual(Array(part[70..<901]), Array(mask[70..<901]))
        XCTAssertTrue(part[..<70].allSatisfy { $0 == 9 } && part[901...].allSatisfy { $0 == 9 })
    }
}
