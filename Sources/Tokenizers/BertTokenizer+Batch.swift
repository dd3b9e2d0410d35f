import Dispatch

/// Windows of a batch of inputs, flattened, and the input each window came from (transformers'
/// `overflow_to_sample_mapping`).
public struct BatchEncoding: Sendable, Equatable {
    public var encodings: [Encoding]
    /// `windowToInput[w]` = index in the batch of the input window `w` was cut from.
    public var windowToInput: [Int]
}

extension BertTokenizer {
    /// Inputs per chunk handed to one worker. Fixed, so the split never depends on timing.
    static let batchChunk = 64

    /// Encodes texts (no truncation, no padding) on up to `threads` workers.
    public func encodeBatch(_ texts: [String], threads: Int = 1) -> [Encoding] {
        Self.parallelMap(count: texts.count, threads: threads) { encode(texts[$0]) }
    }

    /// Encodes inputs with truncation, overflowing windows and padding on up to `threads` workers.
    /// `.longest` padding pads to the longest window of the whole batch.
    public func encodeBatch(_ inputs: [TokenizerInput], truncation: Truncation? = nil, padding: Padding? = nil,
                            threads: Int = 1) throws -> BatchEncoding {
        let perInput: [Result<[Encoding], Error>] = Self.parallelMap(count: inputs.count, threads: threads) { i in
            Result { try windows(of: inputs[i], truncation: truncation, addSpecialTokens: true) }
        }
        var batch = BatchEncoding(encodings: [], windowToInput: [])
        for (index, result) in perInput.enumerated() {
            let windows = try result.get()
            batch.encodings += windows
            batch.windowToInput += Array(repeating: index, count: windows.count)
        }
        pad(&batch.encodings, padding)
        return batch
    }

    /// `body(i)` for i in 0..<count; chunk c goes to worker c % workers.
    static func parallelMap<T>(count: Int, threads: Int, _ body: (Int) -> T) -> [T] {
        let workers = max(1, min(threads, (count + batchChunk - 1) / batchChunk))
        if workers == 1 { return (0..<count).map(body) }
        let chunks = (count + batchChunk - 1) / batchChunk
        return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            withoutActuallyEscaping(body) { body in
                let work = ParallelMapWork(base: buffer.baseAddress!, body: body)
                DispatchQueue.concurrentPerform(iterations: workers) { worker in
                    for chunk in stride(from: worker, to: chunks, by: workers) {
                        for i in chunk * batchChunk..<min(count, (chunk + 1) * batchChunk) {
                            (work.base + i).initialize(to: work.body(i))
                        }
                    }
                }
            }
            initialized = count
        }
    }
}

/// parallelMap's buffer and body, handed to Dispatch's threads. Unchecked, and sound:
/// concurrentPerform returns only after every worker has finished, so both outlive every use, and
/// the workers initialise disjoint elements. (Tensor's `Parallel.forkJoin` is the engine's
/// version; Tokenizers does not depend on Tensor.)
private struct ParallelMapWork<T>: @unchecked Sendable {
    let base: UnsafeMutablePointer<T>
    let body: (Int) -> T
}
