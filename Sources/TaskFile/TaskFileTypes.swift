import Foundation
import Backbone
import Tensor

// The task file, decoded. Every key and its default is documented in
// docs/tasks.md; `TaskFile.load` (TaskFileDecoding.swift) builds these from the YAML nodes.

/// A whole task file: the model, the output folder, and the tasks with defaults applied.
public struct TaskFile: Sendable {
    /// The task file itself.
    var url: URL
    /// The model folder (resolved against the task file's folder; `${VAR}` expanded).
    public var model: URL
    /// Where `<output>/<task>/` folders go (default `runs`, resolved likewise). Changing it
    /// moves the model folders that name an earlier task's checkpoint along.
    public var output: URL { didSet { resolveModelReferences() } }
    public var tasks: [TaskSpec]
    /// Where each top-level key was written (`model`, `output`, `defaults`, `tasks`):
    /// key -> `path:line:column` (or `--set ...`), for messages after decoding.
    var positions: [String: String]
    /// `model` and `output` as written, before `${VAR}` expansion and resolution.
    var pathsAsWritten: [String: String]

    init(url: URL, model: URL, output: URL, tasks: [TaskSpec],
                positions: [String: String] = [:], pathsAsWritten: [String: String] = [:]) {
        self.url = url
        self.model = model
        self.output = output
        self.tasks = tasks
        self.positions = positions
        self.pathsAsWritten = pathsAsWritten
        resolveModelReferences()
    }

    /// Points each task whose `model` names an earlier task's checkpoint at that folder under `output`.
    mutating func resolveModelReferences() {
        for i in tasks.indices {
            if let reference = tasks[i].modelReference { tasks[i].model = reference.folder(in: output) }
        }
    }
}

/// One task: a head, its data, its metrics and its training settings (defaults + overrides).
public struct TaskSpec: Sendable {
    public var name: String
    /// A head name from the registry (`sequence-classification`, ...).
    public var head: String
    /// The `head_config` block, handed to the head's descriptor as JSON-like values.
    public var headConfig: [String: JSONValue]
    public var data: DataSpec
    /// Metric names (e.g. `accuracy`, `f1`, `seqeval`, `squad`); empty = the task kind's default.
    public var metrics: [String]
    public var training: TrainingSettings
    /// The model folder for this task (the file's `model` unless the task sets its own).
    public var model: URL
    /// Set when the task's `model` names an earlier task's checkpoint (`model: {task: NAME,
    /// checkpoint: last}`): `model` is then `<output>/<NAME>/<checkpoint>`, which that task writes.
    public var modelReference: ModelReference?
    /// Where the task is declared, for messages that concern the whole task.
    var location: String
    /// Where each key that applies to this task was written: key -> `path:line:column` (or
    /// `--set ...`). Holds the task's own keys (`name`, `head`, `data`, `metrics`, ...), every
    /// training key in effect (from the task, else from `defaults:`), and `model` (the task's own,
    /// else the file's).
    public var positions: [String: String]
    /// `model` as written (the task's own, else the file's), before expansion and resolution.
    var modelAsWritten: String
    /// The keys whose values could not be decoded (their errors are reported already; the values
    /// are defaults), inherited ones from `defaults:` and the file's `model` included: the
    /// checks after decoding skip what depends on them.
    var undecoded: Set<String> = []

    public init(name: String, head: String, headConfig: [String: JSONValue] = [:], data: DataSpec,
                metrics: [String] = [], training: TrainingSettings = TrainingSettings(), model: URL, location: String = "",
                positions: [String: String] = [:], modelAsWritten: String? = nil) {
        self.name = name
        self.head = head
        self.headConfig = headConfig
        self.data = data
        self.metrics = metrics
        self.training = training
        self.model = model
        self.location = location
        self.positions = positions
        self.modelAsWritten = modelAsWritten ?? model.path
    }

    /// The position of `key` if it was written, else the task's own position.
    public func position(of key: String) -> String { positions[key] ?? location }
}

/// A task's `model` given as an earlier task's checkpoint: continued pre-training, then
/// fine-tuning from it, in one file.
public struct ModelReference: Sendable, Equatable {
    public enum Checkpoint: String, Sendable, CaseIterable { case last, best }
    /// The earlier task's name.
    public var task: String
    public var checkpoint: Checkpoint
    /// Where `task` was written, for messages.
    public var position: String

    public init(task: String, checkpoint: Checkpoint, position: String = "") {
        self.task = task
        self.checkpoint = checkpoint
        self.position = position
    }

    /// `<output>/<task>/<checkpoint>`.
    public func folder(in output: URL) -> URL {
        output.appendingPathComponent(task).appendingPathComponent(checkpoint.rawValue)
    }

    /// As the task file writes it.
    public var written: String { "{task: \(task), checkpoint: \(checkpoint.rawValue)}" }
}

/// Dataset formats the readers know.
public enum DataFormat: String, Sendable, CaseIterable {
    case tsv, csv, jsonl, conll, squad, text
}

/// A column by header name or by 0-based index.
public enum ColumnReference: Sendable, Equatable, CustomStringConvertible {
    case name(String)
    case index(Int)
    public var description: String {
        switch self {
        case .name(let n): return "`\(n)`"
        case .index(let i): return "column \(i)"
        }
    }
}

/// The `data:` block.
public struct DataSpec: Sendable {
    public var format: DataFormat
    public var train: URL?
    public var eval: URL?
    public var test: URL?

    // Classification (tsv, csv, jsonl)
    /// The text column (default `text`; for jsonl a key).
    public var text: ColumnReference = .name("text")
    /// The second text of a pair task (absent for single sentences).
    public var textPair: ColumnReference?
    /// The label column (default `label`).
    public var label: ColumnReference = .name("label")
    /// An id column for predictions (default: the line number).
    public var id: ColumnReference?
    /// Whether tsv/csv files start with a header row (default true).
    public var header: Bool = true
    /// The label list, in index order; default: the labels of the training data, sorted
    /// (numerically when they are all integers).
    public var labels: [String]?
    /// Read at most this many training examples (default: all).
    public var maxTrainExamples: Int?
    /// Read at most this many evaluation / test examples (default: all).
    public var maxEvalExamples: Int?
    /// Skip this many examples at the start of the eval file (default 0): with `eval` naming the
    /// training file and `max_train_examples: N`, `skip_eval_examples: N` evaluates on the rest.
    public var skipEvalExamples: Int = 0

    // Token classification (conll)
    public var tokenColumn: Int = 0
    public var tagColumn: Int = -1
    /// `iob1`, `iob2` or `bioes`: the scheme of the file's tags.
    public var scheme: String = "iob2"

    // Span extraction (squad): skip malformed questions with a warning instead of stopping.
    public var skipInvalid: Bool = false

    // Language modelling (text, jsonl): one feature per line, truncated, instead of the lines
    // concatenated and cut into blocks of max_seq_length (run_mlm.py's `--line_by_line`).
    public var lineByLine: Bool = false

    /// Where the `data:` block is, for messages about the block as a whole.
    public var location: String = ""
    /// Where each key of the block was written: key -> `path:line:column` (or `--set ...`).
    public var positions: [String: String] = [:]
    /// `train`, `eval`, `test` as written, before `${VAR}` expansion and resolution.
    public var pathsAsWritten: [String: String] = [:]
    /// The keys of the block whose values could not be decoded (see `TaskSpec.undecoded`).
    var undecoded: Set<String> = []

    public init(format: DataFormat) { self.format = format }

    /// The position of `key` if it was written, else the block's own position.
    public func position(of key: String) -> String { positions[key] ?? location }
}

/// Training and evaluation settings; `defaults:` then the task's own keys override these.
public struct TrainingSettings: Sendable, Equatable {
    public var epochs: Double = 3
    /// Stop after this many optimizer steps (overrides epochs when set).
    public var maxSteps: Int?
    public var batchSize: Int = 32
    /// Evaluation batch size (default: batch_size).
    public var evalBatchSize: Int?
    public var learningRate: Double = 5e-5
    /// Warmup as a fraction of the total steps (default 0) ...
    public var warmupRatio: Double = 0
    /// ... or as a number of steps (wins over the ratio when set).
    public var warmupSteps: Int?
    public var weightDecay: Double = 0
    public var adamBeta1: Double = 0.9
    public var adamBeta2: Double = 0.999
    public var adamEpsilon: Double = 1e-8
    /// Global gradient-norm clipping (0 turns it off).
    public var maxGradNorm: Double = 1
    public var gradientAccumulationSteps: Int = 1
    public var seed: UInt64 = 42
    public var maxSeqLength: Int = 128
    /// Length-grouped batches (default true), as transformers' LengthGroupedSampler; false: batches
    /// in plain shuffled order (transformers Trainer's default).
    public var groupByLength: Bool = true
    /// Pad every training batch to max_seq_length (run_qa.py's default) instead of to its longest
    /// feature. Logits on real tokens are the same either way, but a span-extraction loss is a
    /// softmax over every position, padding included, so for QA this changes the training.
    public var padToMaxLength: Bool = false
    /// Evaluate every N optimizer steps (default: only at each epoch end).
    public var evalSteps: Int?
    /// The metric that picks the best checkpoint (default: the task kind's main metric).
    public var metricForBestModel: String?
    /// Whether a larger metric is better (default true; false for names containing `loss`).
    public var greaterIsBetter: Bool?
    /// Stop after this many evaluations without improvement (default: never).
    public var earlyStoppingPatience: Int?
    /// Class weights for the loss, in label order, or nil; "balanced" computes n / (k · count).
    public var classWeights: ClassWeights?
    /// Log every N optimizer steps to train_log.jsonl and stderr (default 10).
    public var loggingSteps: Int = 10
    /// Engine and OpenBLAS threads (default: all cores).
    public var threads: Int?
    /// Write best/ and last/ checkpoints (default true).
    public var saveCheckpoints: Bool = true
    /// What the GEMMs compute in: fp32 (default) or bf16 mixed precision (`Precision`).
    public var precision: Precision = .fp32

    // Token classification
    public var labelAllTokens: Bool = false
    public var documentContext: Bool = false

    // Span extraction
    public var docStride: Int = 128
    public var maxAnswerLength: Int = 30
    public var nBestSize: Int = 20
    public var nullScoreDiffThreshold: Double = 0
    public var versionTwoWithNegative: Bool?

    // Language modelling
    /// The share of tokens chosen for prediction (DataCollatorForLanguageModeling's mlm_probability).
    public var mlmProbability: Double = 0.15
    /// Choose whole words (a token and the `##` pieces after it) instead of single tokens.
    public var wholeWordMasking: Bool = false
    /// Fill-mask: the tokens `bertkit predict` lists per [MASK] (its `--top-k`; no task-file key).
    public var topK: Int = 5

    public init() {}

    public enum ClassWeights: Sendable, Equatable {
        case balanced
        case explicit([Float])
    }
}
