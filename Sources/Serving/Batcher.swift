import Backbone
import Foundation
import Runner
import Tasks
import Tensor

/// Dynamic batching: the one thread that runs the model. Requests encode their own inputs, are
/// admitted against the queue limit, and wait here with their features; the batch thread takes
/// what has arrived, up to the batch limits (waiting at most `maxWaitMilliseconds` for more once
/// it has some), runs it as one forward pass and hands each request its own features' outputs.
///
/// The forward pass itself forks onto the engine's threads (`Parallel`); keeping the model on
/// one thread of its own leaves the HTTP event loops free and needs no lock around the weights.
/// A feature's outputs do not depend on the batch it ran in beyond rounding: each sequence's
/// attention is its own, padding is skipped where the head allows (`TaskModel.skipsPadding`).
final class Batcher: @unchecked Sendable {
    private let model: ServableModel
    private let limits: ServingLimits
    private let precision: Precision
    private let metrics: ServingMetrics

    // Everything below is guarded by `condition`.
    private let condition = NSCondition()
    private var queue: [BatchJob] = []
    /// Inputs admitted and not yet fully taken into a forward pass (`--max-queue` bounds it).
    private var admittedInputs = 0
    /// Graceful shutdown has begun: no new admissions, no waiting for batches to fill.
    private var draining = false
    /// The server has finished its requests: the thread ends once the queue is empty.
    private var stopping = false
    private var exited: CheckedContinuation<Void, Never>?
    private var hasExited = false

    init(model: ServableModel, limits: ServingLimits, precision: Precision, metrics: ServingMetrics) {
        self.model = model
        self.limits = limits
        self.precision = precision
        self.metrics = metrics
    }

    /// Starts the batch thread and returns once it has run a first small forward pass, so
    /// that the engine's one-time set-up (loading OpenBLAS and checking it, bf16 copies of the
    /// weights) is done before the server listens.
    func start() {
        let ready = DispatchSemaphore(value: 0)
        let thread = Thread { [self] in
            precision.run {
                // the weights never change while serving: their bf16 copies are made once
                BF16Weights.reusingConversions {
                    warmUp()
                    ready.signal()
                    while let batch = nextBatch() { run(batch) }
                }
            }
            condition.lock()
            hasExited = true
            let waiter = exited
            condition.unlock()
            waiter?.resume()
        }
        thread.name = "bertkit-batch"
        thread.start()
        ready.wait()
    }

    private func warmUp() {
        let tokens = TokenBatch(sequences: [[Int32(model.tokenizer.clsId), Int32(model.tokenizer.sepId)]], padID: Int32(model.tokenizer.padId))
        _ = model.model.predict(tokens)
    }

    // MARK: requests' side

    /// Reserves room for `inputs` inputs, or refuses: 503 with Retry-After when the queue is
    /// full, 503 once shutdown has begun.
    func admit(inputs: Int) throws {
        condition.lock()
        defer { condition.unlock() }
        if draining || stopping { throw APIError.unavailable("the server is shutting down") }
        guard admittedInputs + inputs <= limits.maxQueue else {
            throw APIError.unavailable("the queue is full (\(admittedInputs) inputs waiting, at most \(limits.maxQueue): --max-queue); retry later",
                                       retryAfter: 1)
        }
        admittedInputs += inputs
        metrics.queueDepth.set(Double(admittedInputs))
    }

    /// Gives back what `admit` reserved, for a request that fails before `submit`.
    func withdraw(inputs: Int) {
        condition.lock()
        admittedInputs -= inputs
        metrics.queueDepth.set(Double(admittedInputs))
        condition.unlock()
    }

    /// The outputs of an admitted request's features, in order, once the batch thread has run
    /// them all; the request's reservation is released as its last feature enters a pass.
    func submit(_ features: [EncodedFeature], kind: ForwardKind, inputs: Int) async throws -> [FeatureOutput] {
        if features.isEmpty {
            withdraw(inputs: inputs)
            return []
        }
        return try await withCheckedThrowingContinuation { continuation in
            let job = BatchJob(kind: kind, features: features, inputCount: inputs, continuation: continuation)
            condition.lock()
            if stopping {
                admittedInputs -= inputs
                condition.unlock()
                continuation.resume(throwing: APIError.unavailable("the server is shutting down"))
                return
            }
            queue.append(job)
            condition.signal()
            condition.unlock()
        }
    }

    // MARK: lifecycle

    /// Shutdown has begun: admit nothing new and run what waits without waiting for more.
    func drain() {
        condition.lock()
        draining = true
        condition.signal()
        condition.unlock()
    }

    /// Runs what is left and ends the thread (after the HTTP server has answered its requests).
    func stop() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            condition.lock()
            draining = true
            stopping = true
            condition.signal()
            if hasExited {
                condition.unlock()
                continuation.resume()
            } else {
                exited = continuation
                condition.unlock()
            }
        }
    }

    // MARK: the batch thread

    /// A feature of a job, taken into a forward pass.
    private typealias Slot = (job: BatchJob, index: Int)

    /// Waits for work and takes the next batch, or returns nil once stopping with nothing left.
    private func nextBatch() -> [Slot]? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if queue.isEmpty {
                if stopping { return nil }
                condition.wait()
                continue
            }
            let (slots, full) = plan()
            let deadline = queue[0].arrival.addingTimeInterval(Double(limits.maxWaitMilliseconds) / 1000)
            if full || draining || Date() >= deadline {
                take(slots)
                return slots
            }
            _ = condition.wait(until: deadline)
        }
    }

    /// The features the next pass would run: in arrival order, of the kind of the oldest
    /// waiting job, until `maxBatchSize` features or `maxBatchTokens` padded tokens; `full`
    /// when a limit stopped it (then waiting longer would not add to it).
    private func plan() -> (slots: [Slot], full: Bool) {
        let kind = queue[0].kind
        var slots: [Slot] = []
        var longest = 0
        for job in queue where job.kind.sharesPass(with: kind) {
            for index in job.next..<job.features.count {
                let length = max(longest, job.features[index].length)
                if slots.count == limits.maxBatchSize || (!slots.isEmpty && (slots.count + 1) * length > limits.maxBatchTokens) {
                    return (slots, true)
                }
                slots.append((job, index))
                longest = length
            }
        }
        return (slots, false)
    }

    /// Marks the slots taken and releases the reservations of the jobs now fully taken.
    private func take(_ slots: [Slot]) {
        for slot in slots { slot.job.next = slot.index + 1 }
        let done = queue.filter(\.isFullyTaken)
        queue.removeAll(where: \.isFullyTaken)
        admittedInputs -= done.reduce(0) { $0 + $1.inputCount }
        metrics.queueDepth.set(Double(admittedInputs))
    }

    private func run(_ slots: [Slot]) {
        let features = slots.map { $0.job.features[$0.index] }
        metrics.batchSize.record(Double(features.count))
        metrics.batchTokens.record(Double(features.count * (features.map(\.length).max() ?? 0)))
        let clock = ContinuousClock()
        let started = clock.now
        let result = Result { () throws -> [FeatureOutput] in
            switch slots[0].job.kind {
            case .predict: return try model.run(features, batchSize: features.count)
            case .embed: return embed(features, options: slots.map { slot -> EmbeddingOptions in
                if case .embed(let options) = slot.job.kind { return options }
                preconditionFailure("an embedding pass holds embedding jobs only")
            })
            }
        }
        metrics.forwardDuration.record(clock.now - started)

        var answers: [(BatchJob, Result<[FeatureOutput], Error>)] = []
        switch result {
        case .success(let outputs):
            for (slot, output) in zip(slots, outputs) where !slot.job.failed {
                slot.job.outputs[slot.index] = output
                slot.job.answered += 1
                if slot.job.answered == slot.job.features.count {
                    answers.append((slot.job, .success(slot.job.outputs.map { $0! })))
                }
            }
        case .failure(let error):
            // every request with a feature in this pass fails whole, and its other features
            // leave the queue
            condition.lock()
            for slot in slots where !slot.job.failed {
                slot.job.failed = true
                if let position = queue.firstIndex(where: { $0 === slot.job }) {
                    queue.remove(at: position)
                    admittedInputs -= slot.job.inputCount
                }
                answers.append((slot.job, .failure(error)))
            }
            metrics.queueDepth.set(Double(admittedInputs))
            condition.unlock()
        }
        for (job, answer) in answers { job.continuation.resume(with: answer) }
    }

    /// Sentence vectors of the features (one backbone pass, padding skipped: every pooling
    /// reads real tokens only), each pooled as its request asked, as `bertkit embed` does.
    private func embed(_ features: [EncodedFeature], options: [EmbeddingOptions]) -> [FeatureOutput] {
        let tokens = TokenBatch(sequences: features.map(\.inputIDs), padID: Int32(model.tokenizer.padId))
        let output = model.model.backbone.encode(tokens, skipPadding: true)
        var vectors: [EmbeddingOptions: [[Float]]] = [:]
        for option in Set(options) {
            vectors[option] = SentenceEmbedding.vectors(output, batch: tokens, pooling: option.pooling, normalize: option.normalize)
        }
        return options.enumerated().map { row, option in FeatureOutput(values: ["embedding": vectors[option]![row]]) }
    }
}
