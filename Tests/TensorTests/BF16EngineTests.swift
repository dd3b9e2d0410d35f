import XCTest
@testable import Tensor

/// The engine's ops in bf16 precision: linear maps through oneDNN and attention's products, each
/// against a float64 computation from the same bf16-rounded operands. oneDNN runs bf16 on an
/// x86-64 CPU with bf16 units or AVX-512 (emulated without the units); elsewhere these skip.
final class BF16EngineTests: XCTestCase {
    override func setUpWithError() throws {
        if let why = BF16Support.missingBF16Matmul(.current()) { throw XCTSkip(why) }
        // oneDNN is a test dependency (scripts/setup.sh installs it): its absence fails the test
        _ = try OneDNN.load()
    }

    private func rounded(_ x: [Float]) -> [Double] { x.map { Double(BFloat16.float(BFloat16.round($0))) } }

    /// Checks `actual` against `expected` elementwise within k·2⁻²³·Σ|a||b| (`magnitude`): the
    /// float32 accumulation of k exact products.
    private func assertClose(_ actual: [Float], _ expected: [Double], magnitude: [Double], k: Int, _ what: String,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, what, file: file, line: line)
        for i in actual.indices {
            let bound = Double(k) * pow(2, -23) * magnitude[i] + 1e-30
            if abs(Double(actual[i]) - expected[i]) > bound {
                XCTFail("\(what)[\(i)]: \(actual[i]) vs \(expected[i]) (bound \(bound))", file: file, line: line)
                return
            }
        }
    }

    func testLinearForwardAndGradientsUseBF16OperandsAndFloat32Sums() throws {
        let (n, i, o) = (37, 29, 23)
        let x = GradientCheck.random([n, i], seed: 1), w = GradientCheck.random([o, i], seed: 2), b = GradientCheck.random([o], seed: 3)
        let dy = GradientCheck.random([n, o], seed: 4, requiresGrad: false)
        let y = Precision.bf16.run { linear(x, weight: w, bias: b) }
        Precision.bf16.run { y.backward(gradient: dy) }
        let (xr, wr, dyr) = (rounded(x.values), rounded(w.values), rounded(dy.values))
        // y = x·Wᵀ + b (the bias added in float32)
        var yRef = [Double](repeating: 0, count: n * o), yMag = yRef
        for r in 0..<n { for c in 0..<o {
            var s = Double(b.values[c]), m = abs(Double(b.values[c]))
            for p in 0..<i { s += xr[r * i + p] * wr[c * i + p]; m += abs(xr[r * i + p] * wr[c * i + p]) }
            yRef[r * o + c] = s; yMag[r * o + c] = m
        } }
        assertClose(y.values, yRef, magnitude: yMag, k: i + 1, "y")
        // dx = dy·W, dW = dyᵀ·x, db = column sums of dy (float32, unrounded)
        var dxRef = [Double](repeating: 0, count: n * i), dxMag = dxRef
        for r in 0..<n { for c in 0..<i { for p in 0..<o {
            dxRef[r * i + c] += dyr[r * o + p] * wr[p * i + c]; dxMag[r * i + c] += abs(dyr[r * o + p] * wr[p * i + c])
        } } }
        assertClose(x.grad!.values, dxRef, magnitude: dxMag, k: o, "dx")
        var dwRef = [Double](repeating: 0, count: o * i), dwMag = dwRef
        for r in 0..<o { for c in 0..<i { for p in 0..<n {
            dwRef[r * i + c] += dyr[p * o + r] * xr[p * i + c]; dwMag[r * i + c] += abs(dyr[p * o + r] * xr[p * i + c])
        } } }
        assertClose(w.grad!.values, dwRef, magnitude: dwMag, k: n, "dW")
        let dbRef = (0..<o).map { c in (0..<n).reduce(0.0) { $0 + Double(dy.values[$1 * o + c]) } }
        assertClose(b.grad!.values, dbRef, magnitude: (0..<o).map { c in (0..<n).reduce(0.0) { $0 + abs(Double(dy.values[$1 * o + c])) } },
                    k: n, "db")
    }

    func testConcatenatedLinearMatchesItsLayersInBF16() throws {
        let x = GradientCheck.random([19, 16], seed: 5)
        let layers = (0..<3).map { index -> Linear in
            let layer = Linear(inFeatures: 16, outFeatures: 8)
            layer.weight.copyValues(from: GradientCheck.random([8, 16], seed: 10 + UInt64(index)))
            layer.bias!.copyValues(from: GradientCheck.random([8], seed: 20 + UInt64(index)))
            return layer
        }
        let together = Precision.bf16.run { concatenatedLinear(x, layers) }.values
        for (index, layer) in layers.enumerated() {
            let alone = Precision.bf16.run { layer(x) }.values
            for r in 0..<19 { for c in 0..<8 {
                XCTAssertEqual(together[r * 24 + index * 8 + c], alone[r * 8 + c], accuracy: 1e-5, "layer \(index) [\(r), \(c)]")
            } }
        }
    }

    func testAttentionRoundsTheOperandsOfBothProducts() throws {
        let (b, t, h, d) = (2, 9, 2, 8), c = h * d
        let q = GradientCheck.random([b * t, c], seed: 41), k = GradientCheck.random([b * t, c], seed: 42)
        let v = GradientCheck.random([b * t, c], seed: 43)
        let lengths = [9, 6]
        let mask = Tensor(shape: [b, t], values: lengths.flatMap { len in (0..<t).map { $0 < len ? 0 : -Float.greatestFiniteMagnitude } })
        var stream = RandomStream(key: 1)
        let bf16 = Precision.bf16.run { attention(query: q, key: k, value: v, additiveMask: mask, batch: b, heads: h, stream: &stream) }.values
        let fp32 = attention(query: q, key: k, value: v, additiveMask: mask, batch: b, heads: h, stream: &stream).values
        // the reference: scores from rounded q, k; softmax in float64; P rounded; P·(rounded v)
        let (qr, kr, vr) = (rounded(q.values), rounded(k.values), rounded(v.values))
        var reference = [Double](repeating: 0, count: b * t * c)
        for s in 0..<b { for head in 0..<h { for i in 0..<t {
            var scores = (0..<t).map { j -> Double in
                var dot = 0.0
                for e in 0..<d { dot += qr[(s * t + i) * c + head * d + e] * kr[(s * t + j) * c + head * d + e] }
                return dot / Double(d).squareRoot()
            }
            for j in lengths[s]..<t { scores[j] = -.infinity }
            let top = scores.max()!, exps = scores.map { exp($0 - top) }, sum = exps.reduce(0, +)
            let p = exps.map { Double(BFloat16.float(BFloat16.round(Float($0 / sum)))) }
            for e in 0..<d {
                reference[(s * t + i) * c + head * d + e] = (0..<t).reduce(0.0) { $0 + p[$1] * vr[(s * t + $1) * c + head * d + e] }
            }
        } } }
        let bf16Error = zip(bf16, reference).map { abs(Double($0) - $1) }.max()!
        let fp32Error = zip(fp32, reference).map { abs(Double($0) - $1) }.max()!
        // bf16's error against it is float32 accumulation (a P near a rounding boundary may
        // round the other way: one bf16 step of one probability, 2⁻⁸·|v|); fp32's is bf16 rounding
        XCTAssertLessThan(bf16Error, 1e-2, "bf16 attention against the rounded-operand reference")
        XCTAssertLessThan(bf16Error, fp32Error / 4, "bf16 attention is closer to the rounded reference than fp32 (\(bf16Error) vs \(fp32Error))")
    }

    func testAttentionGradientsInBF16StayCloseToFP32() throws {
        let (b, t, h, d) = (2, 7, 2, 4), c = h * d
        let mask = Tensor(shape: [b, t], values: [7, 5].flatMap { len in (0..<t).map { $0 < len ? 0 : -Float.greatestFiniteMagnitude } })
        let dOut = GradientCheck.random([b * t, c], seed: 50, requiresGrad: false)
        func gradients(_ precision: Precision, dropout: Float) -> [[Float]] {
            let q = GradientCheck.random([b * t, c], seed: 51), k = GradientCheck.random([b * t, c], seed: 52)
            let v = GradientCheck.random([b * t, c], seed: 53)
            var stream = RandomStream(key: 3)
            precision.run {
                attention(query: q, key: k, value: v, additiveMask: mask, batch: b, heads: h,
                          dropout: dropout, training: dropout > 0, stream: &stream).backward(gradient: dOut)
            }
            return [q, k, v].map { $0.grad!.values }
        }
        for dropout: Float in [0, 0.2] {
            let (low, full) = (gradients(.bf16, dropout: dropout), gradients(.fp32, dropout: dropout))
            for (name, (g16, g32)) in zip(["dq", "dk", "dv"], zip(low, full)) {
                let scale = g32.map(abs).max()!
                let difference = zip(g16, g32).map { abs($0 - $1) }.max()!
                XCTAssertLessThan(difference, 3e-2 * scale, "\(name), dropout \(dropout)")
                XCTAssertGreaterThan(difference, 0, "\(name), dropout \(dropout): bf16 must round something")
            }
        }
    }

    func testWeightCopiesAreReusedWithinAScopeOnly() throws {
        let w = GradientCheck.random([4, 6], seed: 60)
        let outside = (BF16Weights.matrix(of: [w]), BF16Weights.matrix(of: [w]))
        XCTAssertFalse(outside.0 === outside.1, "outside a scope every use converts afresh")
        BF16Weights.reusingConversions {
            let first = BF16Weights.matrix(of: [w])
            XCTAssertTrue(first === BF16Weights.matrix(of: [w]), "one conversion per scope")
            XCTAssertEqual(Array(UnsafeBufferPointer(start: first.pointer, count: 24)), w.values.map(BFloat16.round))
        }
        w.data[0] += 1
        let after = BF16Weights.matrix(of: [w])
        XCTAssertEqual(after.pointer[0], BFloat16.round(w.data[0]), "a new scope sees the new values")
    }

    /// Inference inside a scope of weight copies takes other paths (each weight packed once into
    /// oneDNN's layout, the query/key/value weights stacked once): the same products as outside,
    /// within float32 accumulation, for batches of other row counts sharing the packed copies.
    func testInferenceInAScopeGivesThePlainPathsProducts() throws {
        let (i, o) = (29, 23)
        let layers = (0..<3).map { _ in Linear(inFeatures: i, outFeatures: o) }
        for (k, layer) in layers.enumerated() {
            layer.weight.data.update(from: GradientCheck.random([o, i], seed: 70 + UInt64(k)).values, count: o * i)
            layer.bias!.data.update(from: GradientCheck.random([o], seed: 80 + UInt64(k)).values, count: o)
        }
        func outputs(_ x: Tensor) -> [Float] {
            Precision.bf16.run { Autograd.noGrad { concatenatedLinear(x, layers).values + layers[0](x).values } }
        }
        let inputs = [25, 1, 37, 25].enumerated().map { n, rows in GradientCheck.random([rows, i], seed: 90 + UInt64(n), requiresGrad: false) }
        let plain = inputs.map(outputs)
        let scoped = BF16Weights.reusingConversions { inputs.map(outputs) }
        for (n, x) in inputs.enumerated() {
            // |y| ≤ Σ|x||w| + |b|, and both sums come from the same bf16 operands
            let bound = Double(i + 2) * pow(2, -23) * Double(i) * 4
            for (a, b) in zip(scoped[n], plain[n]) where abs(Double(a) - Double(b)) > bound {
                XCTFail("batch \(n) of \(x.shape[0]) rows: \(a) in the scope, \(b) outside (bound \(bound))")
                break
            }
        }
    }

    func testStackedParametersAreMadeOncePerScope() {
        let parts = [GradientCheck.random([2, 3], seed: 61), GradientCheck.random([4, 3], seed: 62)]
        XCTAssertFalse(stackedParameters(parts) === stackedParameters(parts), "outside a scope every use copies afresh")
        BF16Weights.reusingConversions {
            let first = stackedParameters(parts)
            XCTAssertTrue(first === stackedParameters(parts), "one copy per scope")
            XCTAssertEqual(first.shape, [6, 3])
            XCTAssertEqual(first.values, parts[0].values + parts[1].values)
        }
        parts[1].data[0] += 1
        BF16Weights.reusingConversions {
            XCTAssertEqual(stackedParameters(parts).values[6], parts[1].data[0], "a new scope sees the new values")
        }
    }
}
