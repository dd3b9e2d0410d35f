import Foundation

/// The engine's settings that belong to the thread building a graph: whether ops record nodes
/// (`Autograd.noGrad`), the precision its GEMMs compute in (`Precision.run`) and its scope of
/// bf16 weight copies (`BF16Weights.reusingConversions`).
///
/// They are per thread so that one thread's inference (a server's request, an evaluation) cannot
/// switch off another thread's training graph or change its precision. Each op reads them on the
/// thread that calls it, before it hands work to `Parallel`'s workers, which never record.
final class ThreadState {
    var isRecording = true
    var precision: Precision = .fp32
    /// Nesting depth of `BF16Weights.reusingConversions` on this thread.
    var weightScopeDepth = 0
    /// The scope's bf16 copies, keyed by the identities of the parameters stacked by rows; the
    /// tensors are kept alive with their copy, so that no identity is reused while it lasts.
    var weightCopies: [[ObjectIdentifier]: (tensors: [Tensor], matrix: BF16Matrix)] = [:]
    /// The scope's parameters stacked by rows in float32 (`stackedParameters`), keyed the same way.
    var stackedWeights: [[ObjectIdentifier]: (tensors: [Tensor], stacked: Tensor)] = [:]

    /// Runs `body` with the calling thread's `setting` at `value`, then puts the previous value
    /// back (`Autograd.noGrad`, `Precision.run`).
    static func with<Value, Result>(_ setting: ReferenceWritableKeyPath<ThreadState, Value>, _ value: Value,
                                    _ body: () throws -> Result) rethrows -> Result {
        let state = current
        let previous = state[keyPath: setting]
        state[keyPath: setting] = value
        defer { state[keyPath: setting] = previous }
        return try body()
    }

    /// The calling thread's state, made at its first use and released when the thread ends.
    static var current: ThreadState {
        if let existing = pthread_getspecific(key) {
            return Unmanaged<ThreadState>.fromOpaque(existing).takeUnretainedValue()
        }
        let state = ThreadState()
        pthread_setspecific(key, Unmanaged.passRetained(state).toOpaque())
        return state
    }

    /// One key for the process; its destructor releases a finished thread's state.
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        let status = pthread_key_create(&key) { pointer in
            if let pointer { Unmanaged<ThreadState>.fromOpaque(pointer).release() }
        }
        precondition(status == 0, "pthread_key_create failed (\(status))")
        return key
    }()
}
