import ArgumentParser
import Backbone
import Distributed
import Foundation
import Heads
import Tensor

/// What `bertkit bench train` and `bertkit bench infer` share: options, the run, the report.
enum ModelBenchCommand {
    enum Mode: String { case train, infer }

    struct Options: ParsableArguments {
        @Option(help: "Random-weight model of the PyTorch peer's shapes: bert-base, minilm-l12, minilm-l6 or tiny (default: bert-base).")
        var config: String = "bert-base"

        @Option(help: "A model folder instead of --config.")
        var model: String?

        @Option(help: "Sequences per batch (default: 16 for train, 32 for infer).")
        var batch: Int?

        @Option(help: "Tokens per sequence (default: 128).")
        var seq: Int = 128

        @Option(help: "Threads for OpenBLAS and the engine (default: all cores).")
        var threads: Int?

        @Option(help: "Measured steps after 2 warm-up steps (default: 7, at least 5).")
        var steps: Int = 7

        @Option(help: "fp32 or bf16: what the GEMMs compute in (default: fp32). bf16 also measures oneDNN's bf16 GEMM rate on the same shapes, the MFU reference.")
        var precision: Precision = .fp32

        @Option(help: "The head of `bench train`: sequence-classification, or masked-lm for the masked-LM step (about 15% of the tokens asked for, the vocabulary-sized decoder at those only) (default: sequence-classification).")
        var head: String = BuiltInHeads.sequenceClassification.name

        @Option(help: "With --head masked-lm and --model: the batch is the first blocks of this text file (one text a line), grouped and masked as a language-modeling task does (default: random tokens).")
        var text: String?

        @Flag(help: "Print JSON instead of text.")
        var json = false

        func validate() throws {
            if model == nil && ModelBenchmark.config(named: config) == nil {
                throw ValidationError("--config must be bert-base, minilm-l12, minilm-l6 or tiny")
            }
            if steps < 5 { throw ValidationError("--steps must be at least 5") }
            if let batch, batch < 1 { throw ValidationError("--batch must be at least 1") }
            if seq < 1 { throw ValidationError("--seq must be at least 1") }
            if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
            if ![BuiltInHeads.sequenceClassification.name, BuiltInHeads.maskedLM.name].contains(head) {
                throw ValidationError("--head must be sequence-classification or masked-lm")
            }
            if text != nil && (head != BuiltInHeads.maskedLM.name || model == nil) {
                throw ValidationError("--text needs --head masked-lm and --model (its tokenizer makes the blocks)")
            }
        }

        var isMaskedLM: Bool { head == BuiltInHeads.maskedLM.name }
    }

    static func run(_ mode: Mode, _ options: Options) throws {
        if mode == .infer && options.isMaskedLM { throw ValidationError("--head masked-lm measures training steps: use `bench train`") }
        if options.precision == .bf16 { try requireBF16(for: "--precision bf16") }
        try options.precision.run { try runInPrecision(mode, options) }
    }

    private static func runInPrecision(_ mode: Mode, _ options: Options) throws {
        // under mpirun: `bench train` measures the data-parallel step (docs/distributed.md)
        if mode == .train { try DataParallelWorld.join() }
        let ranks = DataParallelWorld.ranks
        defer { DataParallelWorld.finish() }
        let blas = OpenBLAS.shared
        let threads = options.threads ?? (ranks == nil ? ProcessInfo.processInfo.activeProcessorCount : DataParallelWorld.defaultThreadCount)
        blas.threads = threads
        Parallel.threadCount = threads
        var stream = RandomStream(key: 7)
        let model: TaskModel
        let name: String
        let descriptor = options.isMaskedLM ? BuiltInHeads.maskedLM : BuiltInHeads.sequenceClassification
        if let path = options.model {
            model = try TaskModel.load(from: ModelFolder(URL(fileURLWithPath: path)), descriptor: descriptor,
                                       labels: options.isMaskedLM ? [] : ["0", "1"], stream: &stream, warn: { _ in })
            name = path
        } else {
            let config = ModelBenchmark.config(named: options.config)!
            let backbone = BertModel(config: config)
            backbone.initializeWeights(stream: &stream)
            let head: Head = options.isMaskedLM ? MaskedLMHead(config: config, wordEmbeddings: backbone.embeddings.wordEmbeddings.weight)
                                                : SequenceClassificationHead(hiddenSize: config.hiddenSize, labels: 2, dropout: 0.1)
            WeightInitialization.apply(to: head.namedParameters, initializerRange: config.initializerRange, stream: &stream)
            model = TaskModel(backbone: backbone, head: head)
            name = options.config
        }
        let config = model.backbone.config
        // the random batch's positions and ids (101, then 1000 and up) must index the model's tables
        if options.seq > config.maxPositionEmbeddings {
            throw CLIError("--seq \(options.seq) is more than \(name) reads: its max_position_embeddings is \(config.maxPositionEmbeddings)")
        }
        if config.vocabSize <= 1001 {
            throw CLIError("\(name): vocab_size \(config.vocabSize) is too small for the benchmark's random ids (1000 and up)")
        }
        let batch = options.batch ?? (mode == .train ? 16 : 32)
        var benchmark = ModelBenchmark(model: model, batchSize: batch, sequenceLength: options.seq, steps: options.steps, warmup: 2)
        if options.isMaskedLM {
            // each rank its own sequences, as in a data-parallel run
            let rank = ranks?.rank ?? 0
            benchmark.trainingBatch = try options.text.map {
                try MaskedLMBenchBatch.fromText(URL(fileURLWithPath: $0), modelFolder: URL(fileURLWithPath: options.model!),
                                                batch: batch, sequenceLength: options.seq, first: rank * batch)
            } ?? MaskedLMBenchBatch.random(vocabularySize: config.vocabSize, batch: batch, sequenceLength: options.seq, seed: 1 + UInt64(rank))
        }
        let flopsPerToken = ModelBenchmark.trainingFLOPsPerToken(config, sequenceLength: options.seq) / (mode == .train ? 1 : 3)
        // The GEMM ceiling of this process: sgemm alone on the GEMMs of one of this model's layers
        // at the same token count (forward, and for training both gradients), their combined rate,
        // as OpenBLAS threads one call (the peer's reference, the one MFU divides by). The same
        // shapes as the engine runs them (row blocks on its threads) are reported beside it.
        // The machines drift by several percent within a minute, so both are measured right
        // before and right after the steps, and the mean of the two is the reference.
        let library = GemmBenchmark(repeats: 3, minimumSeconds: 0.15, threading: .library)
        let engine = GemmBenchmark(repeats: 3, minimumSeconds: 0.15, threading: .split)
        let shapes = GemmBenchmark.layerShapes(hidden: config.hiddenSize, intermediate: config.intermediateSize,
                                               tokens: batch * options.seq, training: mode == .train)
        let gemmBefore = GemmBenchmark.combinedRate(shapes.map(library.run))
        let engineBefore = GemmBenchmark.combinedRate(shapes.map(engine.run))
        // bf16: oneDNN's matmul on the same shapes with bf16 operands is the ceiling instead
        let oneDNN = options.precision == .bf16 ? try OneDNN.load() : nil
        let bf16Before = oneDNN.map { dnnl in GemmBenchmark.combinedRate(shapes.map { library.runBF16($0, oneDNN: dnnl) }) }

        let sample = mode == .train ? try benchmark.train(ranks: ranks) : benchmark.infer(batch: batch)
        // on several ranks: the whole job's tokens per step
        let tokens = Double(batch * options.seq * (ranks?.size ?? 1))
        let perSecond = sample.seconds.map { (mode == .train ? tokens : Double(batch)) / $0 }
        // the model's rate per process, what each process's GEMM ceiling compares with
        let gflops = sample.seconds.map { flopsPerToken * tokens / Double(ranks?.size ?? 1) / $0 / 1e9 }
        var latency: Summary?
        if mode == .infer {
            let single = ModelBenchmark(model: model, batchSize: 1, sequenceLength: options.seq, steps: max(options.steps, 11), warmup: 3)
            latency = Summary(single.infer(batch: 1).seconds.map { $0 * 1000 })
        }
        let peakRSS = peakResidentMiB()   // the model's: before the reference's buffers come back
        let bf16After = oneDNN.map { dnnl in GemmBenchmark.combinedRate(shapes.map { library.runBF16($0, oneDNN: dnnl) }) }
        let engineAfter = GemmBenchmark.combinedRate(shapes.map(engine.run))
        let gemmAfter = GemmBenchmark.combinedRate(shapes.map(library.run))
        let gemmRate = (gemmBefore + gemmAfter) / 2
        let engineRate = (engineBefore + engineAfter) / 2
        var report = Report(mode: mode.rawValue, model: name, batch: batch, sequenceLength: options.seq, threads: threads,
                            machine: MachineInfo.current(),
                            throughput: Summary(perSecond), unit: mode == .train ? "tokens/s" : "sequences/s",
                            modelGFLOPs: Summary(gflops), gemmGFLOPs: gemmRate, gemmGFLOPsBeforeAndAfter: [gemmBefore, gemmAfter],
                            mfuVersusGEMM: Summary(gflops).median / gemmRate,
                            engineGEMMGFLOPs: engineRate, engineGEMMGFLOPsBeforeAndAfter: [engineBefore, engineAfter],
                            mfuVersusEngineGEMM: Summary(gflops).median / engineRate,
                            latencyMilliseconds: latency, peakRSSMiB: peakRSS,
                            breakdownSeconds: sample.breakdown, precision: options.precision)
        if let ranks {
            report.dataParallel = DataParallelFigures(ranks: ranks.size, launcher: ranks.launch.launcher, buckets: sample.bucketCount,
                                                      gradientMiB: Double(sample.gradientBytes) / 1_048_576,
                                                      communicationSeconds: Summary(sample.communicationSeconds),
                                                      exposedCommunicationSeconds: Summary(sample.exposedCommunicationSeconds),
                                                      stepSeconds: Summary(sample.seconds))
            guard ranks.isRoot else { return }
        }
        if let oneDNN, let bf16Before, let bf16After {
            let rate = (bf16Before + bf16After) / 2
            let largest = shapes.max { $0.m * $0.n * $0.k < $1.m * $1.n * $1.k }!
            report.bf16 = BF16Ceiling(oneDNNVersion: oneDNN.version,
                                      implementation: oneDNN.implementation(transposeA: largest.transposeA, transposeB: largest.transposeB,
                                                                            m: largest.m, n: largest.n, k: largest.k),
                                      gemmGFLOPs: rate, gemmGFLOPsBeforeAndAfter: [bf16Before, bf16After],
                                      mfuVersusBF16GEMM: Summary(gflops).median / rate)
        }
        if options.json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            report.printText()
        }
    }

    struct Report: Codable {
        var mode: String
        var model: String
        var batch: Int
        var sequenceLength: Int
        var threads: Int
        var machine: MachineInfo
        var throughput: Summary
        var unit: String
        var modelGFLOPs: Summary
        /// The reference: the mean of the two measurements below.
        var gemmGFLOPs: Double
        /// The layer's GEMMs' combined sgemm rate right before and right after the steps.
        var gemmGFLOPsBeforeAndAfter: [Double]
        var mfuVersusGEMM: Double
        /// The same shapes as the engine runs them (`GemmThreading.split`), and the model's rate over it.
        var engineGEMMGFLOPs: Double
        var engineGEMMGFLOPsBeforeAndAfter: [Double]
        var mfuVersusEngineGEMM: Double
        var latencyMilliseconds: Summary?
        var peakRSSMiB: Double
        var breakdownSeconds: [String: Double]
        var precision: Precision
        /// With --precision bf16: oneDNN's bf16 GEMM rate on the same shapes, the MFU reference.
        var bf16: BF16Ceiling?
        /// Under mpirun: the ranks and the gradient sums' share of a step (rank 0's figures;
        /// throughput is the whole job's tokens, the GEMM ceiling one process's).
        var dataParallel: DataParallelFigures?

        func printText() {
            machine.lines.forEach { print($0) }
            print("\(mode) \(model): batch \(batch) x seq \(sequenceLength), threads \(threads), precision \(precision.rawValue)")
            print(String(format: "%@: median %.1f [%.1f .. %.1f]", unit, throughput.median, throughput.min, throughput.max))
            print(String(format: "model GFLOP/s: median %.1f; sgemm on the layer's GEMMs: %.1f (before %.1f, after %.1f); MFU vs GEMM %.2f",
                         modelGFLOPs.median, gemmGFLOPs, gemmGFLOPsBeforeAndAfter[0], gemmGFLOPsBeforeAndAfter[1], mfuVersusGEMM))
            print(String(format: "the same GEMMs in the engine's row blocks: %.1f (before %.1f, after %.1f); model over that %.2f",
                         engineGEMMGFLOPs, engineGEMMGFLOPsBeforeAndAfter[0], engineGEMMGFLOPsBeforeAndAfter[1], mfuVersusEngineGEMM))
            if let bf16 {
                print(String(format: "oneDNN %@ bf16 matmul on the layer's GEMMs (%@): %.1f (before %.1f, after %.1f); MFU vs bf16 GEMM %.2f",
                             bf16.oneDNNVersion, bf16.implementation, bf16.gemmGFLOPs, bf16.gemmGFLOPsBeforeAndAfter[0],
                             bf16.gemmGFLOPsBeforeAndAfter[1], bf16.mfuVersusBF16GEMM))
            }
            if let dataParallel {
                let d = dataParallel
                print(String(format: "%d ranks (%@), %d buckets, %.0f MiB of gradients per step: sums %.3f s on the communication thread, %.3f s exposed after the backward (%.0f%% hidden), %.1f%% of the %.3f s step",
                             d.ranks, d.launcher, d.buckets, d.gradientMiB, d.communicationSeconds.median, d.exposedCommunicationSeconds.median,
                             100 * d.hiddenFraction, 100 * d.exposedCommunicationSeconds.median / d.stepSeconds.median, d.stepSeconds.median))
            }
            if let latencyMilliseconds {
                print(String(format: "batch-1 latency ms: median %.1f [%.1f .. %.1f]", latencyMilliseconds.median, latencyMilliseconds.min, latencyMilliseconds.max))
            }
            print(String(format: "peak RSS: %.0f MiB", peakRSSMiB))
            let total = breakdownSeconds.values.reduce(0, +)
            print("breakdown of the median step (\(String(format: "%.3f", total)) s):")
            for (name, seconds) in breakdownSeconds.sorted(by: { $0.value > $1.value }) {
                print("  " + name.padding(toLength: 30, withPad: " ", startingAt: 0)
                      + String(format: " %7.3f s  %5.1f%%", seconds, 100 * seconds / max(total, 1e-12)))
            }
        }
    }
}

/// The gradient sums of a data-parallel training step.
struct DataParallelFigures: Codable {
    var ranks: Int
    var launcher: String
    var buckets: Int
    var gradientMiB: Double
    /// Seconds the sums took on the communication thread, per step.
    var communicationSeconds: Summary
    /// Seconds the training thread waited for them after its backward, per step.
    var exposedCommunicationSeconds: Summary
    var stepSeconds: Summary
    /// The part of the sums' time the backward hid (medians).
    var hiddenFraction: Double {
        communicationSeconds.median > 0 ? max(0, 1 - exposedCommunicationSeconds.median / communicationSeconds.median) : 0
    }
}

/// oneDNN's bf16 GEMM rate in the benchmark's process: the ceiling of a bf16 step.
struct BF16Ceiling: Codable {
    var oneDNNVersion: String
    /// oneDNN's implementation for the layer's largest GEMM, e.g. `brg:avx512_core_bf16`
    /// (`gemm:jit` where the CPU has no bf16 units and oneDNN emulates them).
    var implementation: String
    var gemmGFLOPs: Double
    var gemmGFLOPsBeforeAndAfter: [Double]
    var mfuVersusBF16GEMM: Double
}

struct TrainBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Training step speed: forward + backward + AdamW with dropout 0.1 (tokens/s, MFU vs GEMM, breakdown).")
    @OptionGroup var options: ModelBenchCommand.Options
    func run() throws { try ModelBenchCommand.run(.train, options) }
}

struct InferBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "infer",
        abstract: "Inference speed: sequences/s at batch 32 and batch-1 latency (MFU vs GEMM, breakdown).")
    @OptionGroup var options: ModelBenchCommand.Options
    func run() throws { try ModelBenchCommand.run(.infer, options) }
}
