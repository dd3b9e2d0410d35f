// The training keys (`epochs`, `batch_size`, ...): allowed in `defaults:` and directly in a task,
// where the task's value wins. Each key is read from its node, range-checked there (so an error
// points at the value the user wrote), and stored into TrainingSettings.

import Tensor

extension TrainingSettings {
    /// Every training key, snake_case as written in the task file.
    static var yamlKeys: Set<String> { Set(setters.keys) }

    /// `self` with every training key present in `map` applied; other keys are ignored (the
    /// caller reports unknown ones). Returns key -> position of the values it applied, and the
    /// keys whose values it could not apply (each error recorded in `errors`; the setting keeps
    /// the value it had).
    ///
    /// A null value (`max_steps:` or `--set tasks.x.max_steps=`) clears an optional setting back
    /// to "unset"; for a setting that always has a value it is a type error.
    func applying(_ map: YAMLMapping, errors: inout TaskFileErrorCollector)
        -> (settings: TrainingSettings, positions: [String: String], undecoded: Set<String>) {
        var settings = self
        var positions: [String: String] = [:]
        var undecoded: Set<String> = []
        for entry in map.entries {
            guard let setter = Self.setters[entry.key] else { continue }
            let applied: Void? = errors.attempt(entry.key, marking: &undecoded) {
                try setter(&settings, TrainingValue(key: entry.key, node: entry.value))
            }
            if applied != nil { positions[entry.key] = entry.value.position.description }
        }
        return (settings, positions, undecoded)
    }

    private typealias Setter = @Sendable (inout TrainingSettings, TrainingValue) throws -> Void

    private static let setters: [String: Setter] = [
        "epochs": { $0.epochs = try $1.double(above: 0) },
        "max_steps": { $0.maxSteps = try $1.optionalInt(atLeast: 1) },
        "batch_size": { $0.batchSize = try $1.int(atLeast: 1) },
        "eval_batch_size": { $0.evalBatchSize = try $1.optionalInt(atLeast: 1) },
        "learning_rate": { $0.learningRate = try $1.double(above: 0) },
        "warmup_ratio": { $0.warmupRatio = try $1.double(from: 0, below: 1) },
        "warmup_steps": { $0.warmupSteps = try $1.optionalInt(atLeast: 0) },
        "weight_decay": { $0.weightDecay = try $1.double(atLeast: 0) },
        "adam_beta1": { $0.adamBeta1 = try $1.double(from: 0, below: 1) },
        "adam_beta2": { $0.adamBeta2 = try $1.double(from: 0, below: 1) },
        "adam_epsilon": { $0.adamEpsilon = try $1.double(above: 0) },
        "max_grad_norm": { $0.maxGradNorm = try $1.double(atLeast: 0) },
        "gradient_accumulation_steps": { $0.gradientAccumulationSteps = try $1.int(atLeast: 1) },
        "seed": { $0.seed = UInt64(try $1.int(atLeast: 0)) },
        "max_seq_length": { $0.maxSeqLength = try $1.int(in: 8...4096) },
        "group_by_length": { $0.groupByLength = try $1.bool() },
        "pad_to_max_length": { $0.padToMaxLength = try $1.bool() },
        "eval_steps": { $0.evalSteps = try $1.optionalInt(atLeast: 1) },
        "metric_for_best_model": { $0.metricForBestModel = try $1.optionalName() },
        "greater_is_better": { $0.greaterIsBetter = try $1.optionalBool() },
        "early_stopping_patience": { $0.earlyStoppingPatience = try $1.optionalInt(atLeast: 1) },
        "class_weights": { $0.classWeights = try $1.classWeights() },
        "logging_steps": { $0.loggingSteps = try $1.int(atLeast: 1) },
        "threads": { $0.threads = try $1.optionalInt(atLeast: 1) },
        "save_checkpoints": { $0.saveCheckpoints = try $1.bool() },
        "precision": { $0.precision = try $1.precision() },
        "label_all_tokens": { $0.labelAllTokens = try $1.bool() },
        "document_context": { $0.documentContext = try $1.bool() },
        "doc_stride": { $0.docStride = try $1.int(atLeast: 1) },
        "max_answer_length": { $0.maxAnswerLength = try $1.int(atLeast: 1) },
        "n_best_size": { $0.nBestSize = try $1.int(atLeast: 1) },
        "null_score_diff_threshold": { $0.nullScoreDiffThreshold = try $1.finiteDouble() },
        "version_2_with_negative": { $0.versionTwoWithNegative = try $1.optionalBool() },
        "mlm_probability": { $0.mlmProbability = try $1.double(above: 0, atMost: 1) },
        "whole_word_masking": { $0.wholeWordMasking = try $1.bool() },
    ]
}

/// One training key's value node, with the typed and range-checked reads the setters use.
private struct TrainingValue {
    let key: String
    let node: YAMLNode

    private func decoded<T: YAMLScalarDecodable>(_ type: T.Type) throws -> T {
        try T.decode(node, forKey: key)
    }

    private func outOfRange(_ requirement: String, _ found: String) -> TaskFileError {
        TaskFileError(.outOfRange(key: key), at: node.position, "`\(key)` must be \(requirement), found \(found)")
    }

    func int(atLeast minimum: Int) throws -> Int {
        let value = try decoded(Int.self)
        guard value >= minimum else { throw outOfRange("at least \(minimum)", "\(value)") }
        return value
    }

    func int(in range: ClosedRange<Int>) throws -> Int {
        let value = try decoded(Int.self)
        guard range.contains(value) else {
            throw outOfRange("between \(range.lowerBound) and \(range.upperBound)", "\(value)")
        }
        return value
    }

    func optionalInt(atLeast minimum: Int) throws -> Int? {
        node.isNull ? nil : try int(atLeast: minimum)
    }

    /// A finite number; `.nan` and `.inf` are never a sensible setting.
    func finiteDouble() throws -> Double {
        let value = try decoded(Double.self)
        guard value.isFinite else { throw outOfRange("a finite number", node.scalar?.value ?? "\(value)") }
        return value
    }

    func double(above minimum: Double) throws -> Double {
        let value = try finiteDouble()
        guard value > minimum else { throw outOfRange("greater than \(minimum.yamlText)", value.yamlText) }
        return value
    }

    func double(atLeast minimum: Double) throws -> Double {
        let value = try finiteDouble()
        guard value >= minimum else { throw outOfRange("at least \(minimum.yamlText)", value.yamlText) }
        return value
    }

    /// minimum < value <= limit.
    func double(above minimum: Double, atMost limit: Double) throws -> Double {
        let value = try finiteDouble()
        guard value > minimum && value <= limit else {
            throw outOfRange("greater than \(minimum.yamlText) and at most \(limit.yamlText)", value.yamlText)
        }
        return value
    }

    /// minimum <= value < limit.
    func double(from minimum: Double, below limit: Double) throws -> Double {
        let value = try finiteDouble()
        guard value >= minimum && value < limit else {
            throw outOfRange("at least \(minimum.yamlText) and less than \(limit.yamlText)", value.yamlText)
        }
        return value
    }

    func bool() throws -> Bool { try decoded(Bool.self) }

    func optionalBool() throws -> Bool? { node.isNull ? nil : try bool() }

    func precision() throws -> Precision {
        let name = try decoded(String.self)
        guard let precision = Precision(rawValue: name) else {
            let allowed = Precision.allCases.map(\.rawValue).joined(separator: " or ")
            throw TaskFileError(.invalidValue(key: key), at: node.position, "`\(key)` must be \(allowed), found `\(name)`")
        }
        return precision
    }

    func optionalName() throws -> String? {
        if node.isNull { return nil }
        let name = try decoded(String.self)
        guard !name.isEmpty else {
            throw TaskFileError(.invalidValue(key: key), at: node.position, "`\(key)` must not be empty")
        }
        return name
    }

    /// `balanced`, or a list of non-negative numbers (one per label, in label order), or null.
    func classWeights() throws -> TrainingSettings.ClassWeights? {
        if node.isNull { return nil }
        if let scalar = node.scalar {
            guard scalar.value == "balanced" else {
                throw TaskFileError(.invalidValue(key: key), at: node.position,
                                    "`\(key)` must be `balanced` or a list of numbers, found \(node.foundDescription)")
            }
            return .balanced
        }
        guard let elements = node.sequenceElements else {
            throw YAMLError(.typeMismatch, at: node.position,
                            "`\(key)`: expected `balanced` or a list of numbers, found \(node.foundDescription)")
        }
        guard !elements.isEmpty else {
            throw TaskFileError(.invalidValue(key: key), at: node.position, "`\(key)` must not be an empty list")
        }
        let weights = try elements.map { element -> Float in
            let weight = try Double.decode(element, forKey: key)
            guard weight.isFinite && weight >= 0 else {
                throw TaskFileError(.outOfRange(key: key), at: element.position,
                                    "`\(key)`: each weight must be a finite number at least 0, found \(element.scalar?.value ?? "")")
            }
            return Float(weight)
        }
        guard weights.contains(where: { $0 > 0 }) else {
            throw TaskFileError(.outOfRange(key: key), at: node.position, "`\(key)`: at least one weight must be above 0")
        }
        return .explicit(weights)
    }
}

extension Double {
    /// `0.1`, `5e-05`, `1`: short enough for a message (integers without `.0`).
    var yamlText: String {
        if self == rounded() && Swift.abs(self) < 1e15 { return String(Int(self)) }
        return "\(self)"
    }
}
