import Distributed
import Foundation
import Heads
import Tasks
import Tensor

extension GradientBuckets {
    /// About 25 MiB per bucket, as PyTorch's DDP: large enough that a sum is not dominated by
    /// its latency, small enough that the first ones start early in the backward.
    /// BERTKIT_BUCKET_MIB changes it (for measurements).
    static var defaultCapacityBytes: Int {
        let mib = ProcessInfo.processInfo.environment["BERTKIT_BUCKET_MIB"].flatMap(Double.init) ?? 25
        return max(1, Int(mib * 1024 * 1024))
    }
}

extension Trainer {
    /// The most loss terms a head may average over (`Head.lossDenominators`): the ranks sum a
    /// vector of fixed length, since a rank without data this step cannot ask its head.
    static let maximumLossTerms = 8

    /// One step on one of N ranks (docs/distributed.md). Each micro-batch of the group is a
    /// global batch; this rank takes its slice, pads it to the global batch's longest feature (so
    /// that a head reading padding sees what one process would), and divides its loss by the
    /// counts summed over all ranks (`Head.lossDenominators`). The last micro-batch's backward
    /// hands each finished gradient to the buckets, which sum them over the ranks while the
    /// backward goes on; after it every rank holds the gradient of the whole global batch's loss.
    func dataParallelStep(_ group: [[Int]], on ranks: Communicator) throws -> StepResult {
        let s = spec.training
        var lossSum = 0.0, tokens = 0
        let buckets = gradientBuckets!
        // dropout differs between ranks and steps, and depends on nothing else: the same stream
        // after a resume, whatever each rank drew before
        var dropout = RandomStream(key: RandomStreams.derivedKey(state.streams.dropout.key,
                                                                  UInt64(ranks.rank), UInt64(state.globalStep)))
        try BF16Weights.reusingConversions {
            for (number, global) in group.enumerated() {
                let mine = Self.slice(global, rank: ranks.rank, of: ranks.size)
                let isLast = number == group.count - 1
                var local = [Double](repeating: 0, count: Self.maximumLossTerms)
                var pending: (output: HeadOutput, targets: any HeadTargets, terms: Int)?
                if !mine.isEmpty {
                    let longest = global.map { train[$0].length }.max()!
                    let batch = FeatureBatch(features: train, indices: mine, padID: padID, padTo: s.padToMaxLength ? s.maxSeqLength : longest)
                    let targets = try requireTargets(batch)
                    let output = model(batch.tokens, training: true, stream: &dropout)
                    let counts = try model.head.lossDenominators(output, targets: targets)
                    guard counts.count <= Self.maximumLossTerms else {
                        throw CLIError("[\(spec.name)] head `\(model.head.name)` averages its loss over \(counts.count) terms; data-parallel training takes at most \(Self.maximumLossTerms)")
                    }
                    local.replaceSubrange(0..<counts.count, with: counts)
                    pending = (output, targets, counts.count)
                    tokens += batch.tokens.tokenCount
                }
                let denominators = ranks.sum(local)
                if isLast { buckets.startStep() }
                if let pending {
                    var loss = try model.head.loss(pending.output, targets: pending.targets,
                                                   denominators: Array(denominators[0..<pending.terms]))
                    if group.count > 1 { loss = scale(loss, by: 1 / Float(group.count)) }
                    lossSum += Double(loss.item)
                    loss.backward(leafGradientIsFinal: isLast ? { buckets.gradientIsFinal($0) } : nil)
                }
            }
        }
        buckets.finish()
        let totals = ranks.sum([lossSum, Double(tokens), Interrupt.requested ? 1 : 0])
        return StepResult(loss: totals[0], tokens: Int(totals[1]), interrupted: totals[2] > 0)
    }

    /// Rank `rank`'s part of a global batch: consecutive features, the first ranks taking one
    /// more when the batch does not divide evenly (a rank may get none in a short last batch).
    static func slice(_ global: [Int], rank: Int, of size: Int) -> [Int] {
        let base = global.count / size, extra = global.count % size
        let start = rank * base + min(rank, extra)
        return Array(global[start..<(start + base + (rank < extra ? 1 : 0))])
    }
}
