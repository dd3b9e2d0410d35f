import Foundation
import Tensor

/// Sums the parameters' gradients over all ranks, in buckets that start while the backward pass
/// still runs.
///
/// The parameters are grouped, in the reverse of their registration order (the order in which
/// backward finishes them: the last layer's first), into buckets of about `capacityBytes`. When
/// every gradient of a bucket is final (`gradientIsFinal`, called by the backward pass), the
/// bucket's gradients are copied into one flat buffer and its sum is queued on the communication
/// thread; the backward goes on meanwhile. Buckets are queued strictly in bucket order, so every
/// rank makes the same sequence of collectives whatever order its gradients finished in.
/// `finish()` queues what is left (parameters that this step did not reach, or every bucket on a
/// rank that had no data), waits, and copies the sums back into the gradients.
public final class GradientBuckets {
    struct Bucket {
        var parameters: [Tensor]
        /// Where each parameter's gradient starts in `flat`.
        var offsets: [Int]
        var count: Int
        var flat: UnsafeMutablePointer<Float>
        var finalCount = 0
        var ticket: Int?
    }

    private let communicator: Communicator
    private var buckets: [Bucket]
    private var bucketOf: [ObjectIdentifier: Int] = [:]
    private var nextToQueue = 0

    /// Seconds the training thread spent waiting for sums in `finish()` (the communication the
    /// backward did not hide), and the seconds the sums took on the communication thread, summed
    /// over steps since `resetTimes()`.
    public private(set) var exposedSeconds = 0.0
    public var communicationSeconds: Double { communicationClock.seconds }
    private let communicationClock = SharedClock()

    public var bucketCount: Int { buckets.count }
    public var byteCount: Int { buckets.reduce(0) { $0 + $1.count } * MemoryLayout<Float>.size }

    public init(parameters: [Tensor], communicator: Communicator, capacityBytes: Int) {
        self.communicator = communicator
        var buckets: [Bucket] = []
        var current: [Tensor] = [], currentCount = 0
        func close() {
            guard !current.isEmpty else { return }
            var offsets: [Int] = [], offset = 0
            for p in current { offsets.append(offset); offset += p.count }
            let flat = UnsafeMutablePointer<Float>.allocate(capacity: max(offset, 1))
            buckets.append(Bucket(parameters: current, offsets: offsets, count: offset, flat: flat))
            current = []
            currentCount = 0
        }
        for p in parameters.reversed() {
            if currentCount > 0 && (currentCount + p.count) * MemoryLayout<Float>.size > capacityBytes { close() }
            current.append(p)
            currentCount += p.count
        }
        close()
        self.buckets = buckets
        for (index, bucket) in buckets.enumerated() {
            for p in bucket.parameters { bucketOf[ObjectIdentifier(p)] = index }
        }
    }

    deinit {
        for bucket in buckets { bucket.flat.deallocate() }
    }

    /// Before the backward of a step's last micro-batch.
    public func startStep() {
        for i in buckets.indices {
            buckets[i].finalCount = 0
            buckets[i].ticket = nil
        }
        nextToQueue = 0
    }

    /// The backward pass's hook: `parameter`'s gradient will not change again in this step.
    public func gradientIsFinal(_ parameter: Tensor) {
        guard let index = bucketOf[ObjectIdentifier(parameter)] else { return }
        buckets[index].finalCount += 1
        while nextToQueue < buckets.count && buckets[nextToQueue].finalCount == buckets[nextToQueue].parameters.count {
            queue(nextToQueue)
            nextToQueue += 1
        }
    }

    /// Queues the buckets not queued yet, waits for every sum, and writes the sums into the
    /// gradients. Every parameter has a gradient afterwards (zeros where this rank had none).
    public func finish() {
        while nextToQueue < buckets.count {
            queue(nextToQueue)
            nextToQueue += 1
        }
        let waitStart = DispatchTime.now().uptimeNanoseconds
        for bucket in buckets { communicator.wait(for: bucket.ticket!) }
        exposedSeconds += Double(DispatchTime.now().uptimeNanoseconds - waitStart) / 1e9
        for bucket in buckets {
            for (p, offset) in zip(bucket.parameters, bucket.offsets) {
                p.gradBuffer().data.update(from: bucket.flat + offset, count: p.count)
            }
        }
    }

    public func resetTimes() {
        exposedSeconds = 0
        communicationClock.reset()
    }

    private func queue(_ index: Int) {
        let bucket = buckets[index]
        for (p, offset) in zip(bucket.parameters, bucket.offsets) {
            // a parameter this rank's graph did not reach contributes zeros
            if let g = p.grad { (bucket.flat + offset).update(from: g.data, count: p.count) }
            else { (bucket.flat + offset).update(repeating: 0, count: p.count) }
        }
        nonisolated(unsafe) let flat = bucket.flat
        let count = bucket.count, clock = communicationClock, communicator = communicator
        buckets[index].ticket = communicator.thread.submit {
            let start = DispatchTime.now().uptimeNanoseconds
            communicator.sumOnThread(flat, count: count)
            clock.add(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
    }
}

/// Seconds added on the communication thread and read on the training thread.
final class SharedClock: @unchecked Sendable {
    private let lock = NSLock()
    private var total = 0.0
    func add(_ seconds: Double) { lock.lock(); total += seconds; lock.unlock() }
    func reset() { lock.lock(); total = 0; lock.unlock() }
    var seconds: Double { lock.lock(); defer { lock.unlock() }; return total }
}
