import COneDNN

/// A row-major matrix of bfloat16 values (bit patterns), made by rounding float32 ones: a GEMM
/// operand in bf16 precision. Large ones come from BufferPool like tensor buffers.
final class BF16Matrix {
    let pointer: UnsafeMutablePointer<UInt16>
    let rows: Int
    let columns: Int
    private let allocatedBytes: Int
    /// oneDNN's packed copies of this matrix as op(B), by `transposed` (`packedB`).
    private var packed: [Bool: OpaquePointer] = [:]

    init(rows: Int, columns: Int) {
        let (raw, bytes) = BufferPool.allocate(bytes: max(rows * columns, 1) * MemoryLayout<UInt16>.stride)
        pointer = raw.bindMemory(to: UInt16.self, capacity: bytes / MemoryLayout<UInt16>.stride)
        self.rows = rows
        self.columns = columns
        allocatedBytes = bytes
    }

    /// The (rows, columns) float32 matrix whose rows start `rowStride` floats apart, rounded to
    /// nearest even.
    convenience init(rounding x: UnsafePointer<Float>, rows: Int, columns: Int, rowStride: Int) {
        self.init(rows: rows, columns: columns)
        BFloat16.round(x, rows: rows, columns: columns, rowStride: rowStride, into: pointer)
    }

    /// This matrix as op(B) of oneDNN products, packed at the first one (bk_onednn_packed_b):
    /// op(B) is the matrix transposed, (columns, rows), when `transposed`. For a weights' copy
    /// that many products share, on the one thread whose scope holds it (`BF16Weights`).
    func packedB(transposed: Bool) -> OpaquePointer {
        if let existing = packed[transposed] { return existing }
        let (n, k) = transposed ? (rows, columns) : (columns, rows)
        guard let made = bk_onednn_packed_b_create(transposed ? 1 : 0, n, k, pointer, columns) else {
            preconditionFailure("out of memory for a packed bf16 matrix (\(rows) x \(columns))")
        }
        packed[transposed] = made
        return made
    }

    deinit {
        for handle in packed.values { bk_onednn_packed_b_destroy(handle) }
        BufferPool.release(UnsafeMutableRawPointer(pointer), bytes: allocatedBytes)
    }
}

/// The bf16 copies of parameters, made once per scope rather than once per use: a weight is a
/// GEMM operand in the forward and again in the input gradient, and is converted once per
/// optimizer step (the trainer opens a scope around each step's forwards and backwards, the
/// predictor one around all its batches, a server one for its life). The scope keeps the
/// parameters that `concatenatedLinear` stacks (query, key and value) the same way.
public enum BF16Weights {
    /// Runs `body` reusing each parameter's bf16 copy on this thread (each thread has its own
    /// scope, `ThreadState`). The caller promises that no parameter changes inside: the copies
    /// are dropped when the thread's outermost scope ends.
    public static func reusingConversions<T>(_ body: () throws -> T) rethrows -> T {
        let state = ThreadState.current
        state.weightScopeDepth += 1
        defer {
            state.weightScopeDepth -= 1
            if state.weightScopeDepth == 0 {
                state.weightCopies.removeAll()
                state.stackedWeights.removeAll()
            }
        }
        return try body()
    }

    /// The tensors' values stacked by rows (each a (rows, columns) matrix with the same number of
    /// columns), rounded to bf16: from the thread's scope when there is one.
    static func matrix(of tensors: [Tensor]) -> BF16Matrix {
        let state = ThreadState.current
        let key = tensors.map(ObjectIdentifier.init)
        if state.weightScopeDepth > 0, let cached = state.weightCopies[key] { return cached.matrix }
        let columns = tensors[0].shape.count == 1 ? 1 : tensors[0].count / tensors[0].shape[0]
        let rows = tensors.map { $0.count / columns }.reduce(0, +)
        let matrix = BF16Matrix(rows: rows, columns: columns)
        var offset = 0
        for t in tensors {
            BFloat16.round(t.data, count: t.count, into: matrix.pointer + offset)
            offset += t.count
        }
        if state.weightScopeDepth > 0 { state.weightCopies[key] = (tensors, matrix) }
        return matrix
    }
}
