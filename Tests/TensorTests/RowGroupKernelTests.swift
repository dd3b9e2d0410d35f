import CKernels
import XCTest
@testable import Tensor

/// softmax.c and layer_norm.c run four rows at a time in explicit 16-float vectors. Each row's
/// arithmetic is fixed, so every target this CPU runs (AVX-512, AVX2, the SSE2 baseline) must
/// give the baseline's bits, and a range of rows the bits of the same rows one at a time. The
/// widths cover whole vectors, tails and rows shorter than a vector; 7 rows are a group of four
/// and three single rows. (Their values against the plain references: KernelReferenceTests,
/// LayerNormTests, AttentionTests.)
final class RowGroupKernelTests: XCTestCase {
    let widths = [1, 5, 16, 17, 45, 128, 130, 384]
    let rows = 7

    var targets: ClosedRange<Int32> { 0...bk_vector_widest_target() }

    func values(_ n: Int, scale: Float, seed: UInt64) -> [Float] {
        var g = SplitMix64(seed: seed)
        return (0..<n).map { _ in Float(g.nextUniform() * 2 - 1) * scale }
    }

    func keepMask(_ n: Int) -> [UInt8] {
        var keep = [UInt8](repeating: 0, count: n)
        bk_dropout_mask(&keep, 11, 0, 0, 0.1, 0, n)
        return keep
    }

    func assertSameBits(_ a: [Float], _ b: [Float], _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.map(\.bitPattern), b.map(\.bitPattern), message, file: file, line: line)
    }

    // MARK: softmax

    /// (probabilities, dropped) of rows [begin, end) on target t, in one call or row by row.
    func softmax(_ target: Int32, scores: [Float], mask: [Float]?, keep: [UInt8]?, cols: Int, oneRowAtATime: Bool) -> ([Float], [Float]) {
        var p = scores, dropped = [Float](repeating: 0, count: scores.count)
        let ranges = oneRowAtATime ? (0..<rows).map { $0..<($0 + 1) } : [0..<rows]
        for range in ranges {
            p.withUnsafeMutableBufferPointer { pp in dropped.withUnsafeMutableBufferPointer { pd in
                bk_softmax_rows_on(target, pp.baseAddress, mask, keep, 1 / 0.9, keep == nil ? nil : pd.baseAddress,
                                   cols, range.lowerBound, range.upperBound)
            } }
        }
        return (p, dropped)
    }

    func softmaxBackward(_ target: Int32, p: [Float], upstream: [Float], keep: [UInt8]?, cols: Int, oneRowAtATime: Bool) -> [Float] {
        var g = upstream
        let ranges = oneRowAtATime ? (0..<rows).map { $0..<($0 + 1) } : [0..<rows]
        for range in ranges { bk_softmax_backward_rows_on(target, p, &g, keep, 1 / 0.9, cols, range.lowerBound, range.upperBound) }
        return g
    }

    func testSoftmaxRowsGiveTheBaselineBitsOnEveryTargetAndInGroups() {
        for cols in widths {
            let n = rows * cols
            let scores = values(n, scale: 8, seed: UInt64(cols)), upstream = values(n, scale: 1, seed: UInt64(cols) + 100)
            let mask = (0..<cols).map { $0 % 7 == 3 ? -Float.greatestFiniteMagnitude : 0 }
            for (maskRow, keep) in [(nil, nil), (mask, nil), (mask, keepMask(n))] as [([Float]?, [UInt8]?)] {
                let context = "cols \(cols), mask \(maskRow != nil), dropout \(keep != nil)"
                let (baseline, baselineDropped) = softmax(0, scores: scores, mask: maskRow, keep: keep, cols: cols, oneRowAtATime: true)
                let baselineGradient = softmaxBackward(0, p: baseline, upstream: upstream, keep: keep, cols: cols, oneRowAtATime: true)
                // not vacuous: every row sums to 1 and the gradient moved
                for r in 0..<rows {
                    XCTAssertEqual(baseline[r * cols..<(r + 1) * cols].reduce(0, +), 1, accuracy: 1e-5, context)
                }
                XCTAssertNotEqual(baselineGradient, upstream, context)
                for target in targets {
                    for grouped in [false, true] {
                        let (p, dropped) = softmax(target, scores: scores, mask: maskRow, keep: keep, cols: cols, oneRowAtATime: !grouped)
                        assertSameBits(p, baseline, "probabilities, target \(target), grouped \(grouped), \(context)")
                        if keep != nil { assertSameBits(dropped, baselineDropped, "dropped, target \(target), \(context)") }
                        let g = softmaxBackward(target, p: baseline, upstream: upstream, keep: keep, cols: cols, oneRowAtATime: !grouped)
                        assertSameBits(g, baselineGradient, "gradient, target \(target), grouped \(grouped), \(context)")
                    }
                }
            }
        }
    }

    // MARK: layer norm

    struct NormOutputs {
        var y: [Float], sum: [Float], mean: [Float], rstd: [Float]
    }

    enum ResidualMode: CaseIterable { case none, residual, dropoutResidual, sumInOutput }

    func layerNorm(_ target: Int32, _ mode: ResidualMode, x: [Float], residual: [Float], keep: [UInt8],
                   gamma: [Float], beta: [Float], cols: Int, oneRowAtATime: Bool) -> NormOutputs {
        let pinned = PinnedArrays()
        let y = pinned.pin([Float](repeating: 0, count: x.count)), sum = pinned.pin([Float](repeating: 0, count: x.count))
        let mean = pinned.pin([Float](repeating: 0, count: rows)), rstd = pinned.pin([Float](repeating: 0, count: rows))
        let sumOut: UnsafeMutablePointer<Float>? = switch mode {
        case .none: nil
        case .residual, .dropoutResidual: sum
        case .sumInOutput: y
        }
        let args = bk_layer_norm_forward_args(
            x: pinned.pin(x), keep: mode == .dropoutResidual ? pinned.pin(keep) : nil, keep_scale: 1 / 0.9,
            residual: mode == .none ? nil : pinned.pin(residual), sum_out: sumOut, gamma: pinned.pin(gamma),
            beta: pinned.pin(beta), y: y, mean: mean, rstd: rstd, cols: cols, eps: 1e-12)
        let ranges = oneRowAtATime ? (0..<rows).map { $0..<($0 + 1) } : [0..<rows]
        for range in ranges { bk_layer_norm_forward_on(target, args, range.lowerBound, range.upperBound) }
        return NormOutputs(y: pinned.read(y, count: x.count), sum: pinned.read(sum, count: x.count),
                           mean: pinned.read(mean, count: rows), rstd: pinned.read(rstd, count: rows))
    }

    struct NormGradients {
        var dx: [Float], dropped: [Float], dgamma: [Float], dbeta: [Float]
    }

    func layerNormBackward(_ target: Int32, x: [Float], dy: [Float], gamma: [Float], mean: [Float], rstd: [Float],
                           keep: [UInt8], accumulate: Bool, throughDropout: Bool, cols: Int, oneRowAtATime: Bool) -> NormGradients {
        // start from values, so that accumulating is seen to add
        let pinned = PinnedArrays()
        let dx = pinned.pin(values(x.count, scale: 1, seed: 41)), dropped = pinned.pin(values(x.count, scale: 1, seed: 42))
        let dgamma = pinned.pin(values(cols, scale: 1, seed: 43)), dbeta = pinned.pin(values(cols, scale: 1, seed: 44))
        let args = bk_layer_norm_backward_args(
            x: pinned.pin(x), dy: pinned.pin(dy), gamma: pinned.pin(gamma), mean: pinned.pin(mean), rstd: pinned.pin(rstd),
            dx: dx, accumulate: accumulate ? 1 : 0, dropped_dx: throughDropout ? dropped : nil,
            keep: pinned.pin(keep), keep_scale: 1 / 0.9, accumulate_dropped: 1,
            dgamma_partial: dgamma, dbeta_partial: dbeta, cols: cols)
        let ranges = oneRowAtATime ? (0..<rows).map { $0..<($0 + 1) } : [0..<rows]
        for range in ranges { bk_layer_norm_backward_on(target, args, range.lowerBound, range.upperBound) }
        return NormGradients(dx: pinned.read(dx, count: x.count), dropped: pinned.read(dropped, count: x.count),
                             dgamma: pinned.read(dgamma, count: cols), dbeta: pinned.read(dbeta, count: cols))
    }

    func testLayerNormGivesTheBaselineBitsOnEveryTargetAndInGroups() {
        for cols in widths {
            let n = rows * cols
            let x = values(n, scale: 3, seed: UInt64(cols) + 1), residual = values(n, scale: 1, seed: UInt64(cols) + 2)
            let gamma = values(cols, scale: 1, seed: 5), beta = values(cols, scale: 1, seed: 6)
            let dy = values(n, scale: 1, seed: UInt64(cols) + 3), keep = keepMask(n)
            for mode in ResidualMode.allCases {
                let context = "cols \(cols), \(mode)"
                let baseline = layerNorm(0, mode, x: x, residual: residual, keep: keep, gamma: gamma, beta: beta,
                                         cols: cols, oneRowAtATime: true)
                XCTAssertTrue(baseline.rstd.allSatisfy { $0 > 0 && $0.isFinite }, context)
                for target in targets {
                    for grouped in [false, true] {
                        let outputs = layerNorm(target, mode, x: x, residual: residual, keep: keep, gamma: gamma, beta: beta,
                                                cols: cols, oneRowAtATime: !grouped)
                        XCTAssertEqual(outputs.y.map(\.bitPattern), baseline.y.map(\.bitPattern), "y, target \(target), grouped \(grouped), \(context)")
                        XCTAssertEqual(outputs.sum.map(\.bitPattern), baseline.sum.map(\.bitPattern), "sum, target \(target), \(context)")
                        XCTAssertEqual(outputs.mean.map(\.bitPattern), baseline.mean.map(\.bitPattern), "mean, target \(target), \(context)")
                        XCTAssertEqual(outputs.rstd.map(\.bitPattern), baseline.rstd.map(\.bitPattern), "rstd, target \(target), \(context)")
                    }
                }
            }
            // the backward of the plain residual form, on the forward's statistics
            let forward = layerNorm(0, .residual, x: x, residual: residual, keep: keep, gamma: gamma, beta: beta,
                                    cols: cols, oneRowAtATime: true)
            for (accumulate, throughDropout) in [(false, false), (true, false), (false, true)] {
                let context = "cols \(cols), accumulate \(accumulate), dropout \(throughDropout)"
                func run(_ target: Int32, _ oneRowAtATime: Bool) -> NormGradients {
                    layerNormBackward(target, x: forward.sum, dy: dy, gamma: gamma, mean: forward.mean, rstd: forward.rstd,
                                      keep: keep, accumulate: accumulate, throughDropout: throughDropout, cols: cols,
                                      oneRowAtATime: oneRowAtATime)
                }
                let baseline = run(0, true)
                XCTAssertNotEqual(baseline.dbeta, values(cols, scale: 1, seed: 44), context)
                for target in targets {
                    for grouped in [false, true] {
                        let gradients = run(target, !grouped)
                        for (name, a, b) in [("dx", gradients.dx, baseline.dx), ("dropped", gradients.dropped, baseline.dropped),
                                             ("dgamma", gradients.dgamma, baseline.dgamma), ("dbeta", gradients.dbeta, baseline.dbeta)] {
                            assertSameBits(a, b, "\(name), target \(target), grouped \(grouped), \(context)")
                        }
                    }
                }
            }
        }
    }
}
