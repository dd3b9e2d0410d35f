/// Several linear maps of one input as one GEMM, their outputs side by side:
///   out (N, ΣO) = x (N, I) · [W₁; W₂; ...]ᵀ (I, ΣO) + [b₁ | b₂ | ...]
/// BERT's query, key and value projections become one (N, 3C) GEMM instead of three (N, C) ones
/// (OpenBLAS runs the wider one faster), and their input gradient one GEMM instead of three
/// that add into the same buffer. The weights stay separate parameters under their own names,
/// copied into one (ΣO, I) matrix once per scope of weight copies (`stackedParameters`).
/// Either every layer has a bias or none has.
public func concatenatedLinear(_ x: Tensor, _ layers: [Linear]) -> Tensor {
    let weights = layers.map(\.weight), biases = layers.compactMap(\.bias)
    let inFeatures = weights[0].shape[1]
    precondition(weights.allSatisfy { $0.shape[1] == inFeatures } && x.shape.last == inFeatures,
                 "concatenatedLinear: input \(x.shape) for weights \(weights.map(\.shape))")
    precondition(biases.isEmpty || biases.count == weights.count, "concatenatedLinear: some layers have a bias and some not")
    let rows = x.count / inFeatures
    let out = linearValues(x.data, rows: rows, leadingShape: Array(x.shape.dropLast()),
                           weight: stackedParameters(weights), weightParts: weights,
                           bias: biases.isEmpty ? nil : stackedParameters(biases))
    let op = ConcatenatedLinearOp(rows: rows, outFeatures: weights.map { $0.shape[0] }, hasBias: !biases.isEmpty)
    return Autograd.record(op, inputs: [x] + weights + biases, output: out)
}

/// The tensors' values one after another, as one (Σ first dims, rest...) tensor.
func stackedRows(_ tensors: [Tensor]) -> Tensor {
    let out = Tensor(uninitialized: [tensors.map { $0.shape[0] }.reduce(0, +)] + tensors[0].shape.dropFirst())
    var offset = 0
    for t in tensors {
        (out.data + offset).update(from: t.data, count: t.count)
        offset += t.count
    }
    return out
}

/// `stackedRows` of parameters, made once per scope of weight copies when the thread is in one
/// (`BF16Weights.reusingConversions`, inside which no parameter changes): a forward pass of one
/// short sentence would otherwise spend as long copying 3C² floats per layer as multiplying.
func stackedParameters(_ parameters: [Tensor]) -> Tensor {
    let state = ThreadState.current
    guard state.weightScopeDepth > 0 else { return stackedRows(parameters) }
    let key = parameters.map(ObjectIdentifier.init)
    if let cached = state.stackedWeights[key] { return cached.stacked }
    let stacked = stackedRows(parameters)
    state.stackedWeights[key] = (parameters, stacked)
    return stacked
}

struct ConcatenatedLinearOp: BackwardOp {
    let rows: Int
    /// O of each layer, in column order.
    let outFeatures: [Int]
    let hasBias: Bool
    var name: String { "concatenated_linear" }

    // forward: out[:, block k] = x·Wₖᵀ + bₖ, so
    //   dx += dy (N, ΣO) · [W₁; W₂; ...] (ΣO, I),  dWₖ += dy[:, block k]ᵀ · x,  dbₖ += column sums of block k.
    func backward(gradOutput dy: Tensor, inputs: [Tensor], output: Tensor) {
        let x = inputs[0], layers = outFeatures.count
        let weights = Array(inputs[1...layers]), biases = hasBias ? Array(inputs[(layers + 1)...]) : []
        let inFeatures = x.shape.last!, total = outFeatures.reduce(0, +)
        if x.requiresGrad {
            let (dx, beta) = x.gradientDestination()
            linearInputGradient(dy: dy, weight: stackedParameters(weights), weightParts: weights, rows: rows, beta: beta, into: dx.data)
        }
        var column = 0
        for (k, width) in outFeatures.enumerated() {
            let block = dy.data + column
            if weights[k].requiresGrad {
                let (dW, beta) = weights[k].gradientDestination()
                engineGEMM(transposeA: true, transposeB: false, m: width, n: inFeatures, k: rows,
                           a: block, lda: total, b: x.data, ldb: inFeatures,
                           beta: beta, c: dW.data, ldc: inFeatures)
            }
            if hasBias, biases[k].requiresGrad {
                addColumnSums(block, rows: rows, columns: width, rowStride: total, into: biases[k].gradBuffer().data)
            }
            column += width
        }
    }
}
