import Foundation

/// What the engine's GEMMs compute in.
///
/// - `fp32`: everything in float32 (OpenBLAS's sgemm).
/// - `bf16`: mixed precision. The linear maps' GEMMs (forward, input gradient, weight gradient)
///   and attention's two products take operands rounded to bfloat16 (round to nearest even) and
///   accumulate in float32 (oneDNN's matmul; attention's per-head products in the engine's own
///   kernels); their outputs stay float32. Everything else (embeddings, layer norm, softmax,
///   GELU, dropout, losses, AdamW, the master weights and every gradient) stays float32. This is
///   more precise than torch.autocast, whose linear returns bf16.
public enum Precision: String, Sendable, CaseIterable, Codable {
    case fp32
    case bf16

    /// The precision the calling thread's GEMMs run in: fp32 unless inside `run`. Per thread
    /// (`ThreadState`), like the graph's recording flag, so that threads serving or training in
    /// different precisions do not change each other's.
    public static var current: Precision { ThreadState.current.precision }

    /// Runs `body` with this thread's engine GEMMs in this precision.
    public func run<T>(_ body: () throws -> T) rethrows -> T {
        try ThreadState.with(\.precision, self, body)
    }
}
