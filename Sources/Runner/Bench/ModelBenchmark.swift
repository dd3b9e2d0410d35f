import Backbone
import Distributed
import Foundation
import Heads
import Tensor

/// A training step (forward + backward + AdamW, dropout 0.1) or an inference batch on a
/// random-weight BERT of the PyTorch peer's shapes (docs/architecture.md, "The benchmark models and MFU"), timed over steps after warm-up.
struct ModelBenchmark {
    /// The peer's models (transformers BertConfig with these sizes, vocab 30522, 512 positions).
    static func config(named name: String) -> BertConfig? {
        switch name {
        case "bert-base": return BertConfig()
        case "minilm-l12": return BertConfig(hiddenSize: 384, numHiddenLayers: 12, numAttentionHeads: 12, intermediateSize: 1536)
        case "minilm-l6": return BertConfig(hiddenSize: 384, numHiddenLayers: 6, numAttentionHeads: 12, intermediateSize: 1536)
        case "tiny": return BertConfig(hiddenSize: 128, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 512)
        default: return nil
        }
    }

    /// The peer's FLOP count per token (docs/architecture.md): 6 x encoder parameters + 12 x layers x seq x hidden for a
    /// training step (forward 2, backward 4); a third of it for inference.
    static func trainingFLOPsPerToken(_ c: BertConfig, sequenceLength t: Int) -> Double {
        let h = Double(c.hiddenSize), f = Double(c.intermediateSize), l = Double(c.numHiddenLayers)
        let perLayer = 4 * (h * h + h) + 2 * h * f + f + h + 4 * h   // q,k,v,o + ffn + 2 layer norms
        return 6 * l * perLayer + 12 * l * Double(t) * h
    }

    struct Sample: Codable {
        var seconds: [Double]
        var breakdown: [String: Double]
        /// On several ranks, per measured step: the seconds the gradient sums took on the
        /// communication thread, and the part of them the training thread waited for after its
        /// backward (the rest was hidden behind the backward).
        var communicationSeconds: [Double] = []
        var exposedCommunicationSeconds: [Double] = []
        /// The buckets the gradients were summed in, and their bytes (0 for one process).
        var bucketCount = 0
        var gradientBytes = 0
    }

    let model: TaskModel
    let batchSize: Int
    let sequenceLength: Int
    let steps: Int
    let warmup: Int
    /// What `train` trains on; nil: random tokens with a label per sequence (`randomBatch`),
    /// each rank its own.
    var trainingBatch: (TokenBatch, any HeadTargets)? = nil

    func randomBatch(seed: UInt64, batch: Int) -> (TokenBatch, any HeadTargets) {
        var stream = RandomStream(key: seed)
        let ids = (0..<(batch * sequenceLength)).map { i in i % sequenceLength == 0 ? Int32(101) : Int32(1000 + stream.nextInt(below: model.backbone.config.vocabSize - 1000)) }
        let labels = (0..<batch).map { _ in Int32(stream.nextInt(below: 2)) }
        return (TokenBatch(batchSize: batch, sequenceLength: sequenceLength, inputIDs: ids), SequenceLabels(labels))
    }

    /// Seconds per training step, and the step's breakdown (seconds per category, median step).
    /// On several ranks (`ranks`), each takes a batch of its own and the step is the trainer's
    /// data-parallel one: counts summed, gradients summed in buckets during the backward.
    func train(ranks: Communicator? = nil) throws -> Sample {
        let (batch, targets) = trainingBatch ?? randomBatch(seed: 1 + UInt64(ranks?.rank ?? 0), batch: batchSize)
        let parameters = model.namedParameters
        let optimizer = AdamW(parameters: parameters, weightDecay: 0.01)
        var streams = RandomStreams(seed: 42 + UInt64(ranks?.rank ?? 0))
        let buckets = ranks.map { GradientBuckets(parameters: parameters.map(\.tensor), communicator: $0, capacityBytes: GradientBuckets.defaultCapacityBytes) }
        var communication: [Double] = [], exposed: [Double] = []
        var sample = try timeSteps {
            model.releaseGradients()
            buckets?.resetTimes()
            // as the trainer: bf16 copies of the weights once per step
            try BF16Weights.reusingConversions {
                let output = model(batch, training: true, stream: &streams.dropout)
                if let ranks, let buckets {
                    let counts = try model.head.lossDenominators(output, targets: targets)
                    let loss = try model.head.loss(output, targets: targets, denominators: ranks.sum(counts))
                    buckets.startStep()
                    loss.backward(leafGradientIsFinal: { buckets.gradientIsFinal($0) })
                    Profiler.measure(.allreduce) { buckets.finish() }
                    communication.append(buckets.communicationSeconds)
                    exposed.append(buckets.exposedSeconds)
                } else {
                    let loss = try model.head.loss(output, targets: targets)
                    loss.backward()
                }
            }
            Profiler.measure(.optimizer) {
                let (_, clip) = GradientClipping.clipCoefficient(of: parameters.map(\.tensor), maxNorm: 1.0)
                optimizer.step(learningRate: 2e-5, gradientScale: clip)
            }
        }
        sample.communicationSeconds = Array(communication.suffix(steps))
        sample.exposedCommunicationSeconds = Array(exposed.suffix(steps))
        sample.bucketCount = buckets?.bucketCount ?? 0
        sample.gradientBytes = buckets?.byteCount ?? 0
        return sample
    }

    /// Seconds per inference batch (no graph, no dropout).
    func infer(batch size: Int) -> Sample {
        let (batch, _) = randomBatch(seed: 2, batch: size)
        // as the predictor: bf16 copies of the weights once for every batch
        return BF16Weights.reusingConversions { timeSteps { _ = model.predict(batch) } }
    }

    /// Runs `step` `warmup + steps` times; times and profiles the last `steps`.
    private func timeSteps(_ step: () throws -> Void) rethrows -> Sample {
        var seconds: [Double] = [], breakdowns: [[Profiler.Category: Double]] = []
        defer { Profiler.isEnabled = false }
        for index in 0..<(warmup + steps) {
            Profiler.reset()
            Profiler.isEnabled = index >= warmup
            let start = now()
            try step()
            let elapsed = now() - start
            if index >= warmup {
                seconds.append(elapsed)
                breakdowns.append(Profiler.seconds)
            }
        }
        return Sample(seconds: seconds, breakdown: Self.medianBreakdown(seconds: seconds, breakdowns: breakdowns))
    }

    /// The breakdown of the median step, "other" being what no category claimed.
    static func medianBreakdown(seconds: [Double], breakdowns: [[Profiler.Category: Double]]) -> [String: Double] {
        guard !seconds.isEmpty else { return [:] }
        let median = seconds.indices.sorted { seconds[$0] < seconds[$1] }[seconds.count / 2]
        var result: [String: Double] = [:]
        var claimed = 0.0
        for (category, value) in breakdowns[median] where category != .other {
            result[category.rawValue] = value
            claimed += value
        }
        result[Profiler.Category.other.rawValue] = max(0, seconds[median] - claimed)
        return result
    }
}

/// Peak resident set size of this process, in MiB.
func peakResidentMiB() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_maxrss) / 1024
}
