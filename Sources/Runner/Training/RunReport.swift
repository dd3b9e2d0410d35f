import Backbone
import Foundation
import Tasks
import Tensor
import TaskFile

/// metrics.json, summary.md and the SVG curves of a task's run.
struct RunReport {
    let spec: TaskSpec
    let outcome: Outcome
    let seconds: Double
    /// label -> the weight its loss terms had (`class_weights`), when the task set any.
    let classWeights: [String: Float]?
    /// split -> metric -> value, from the final model.
    let final: [String: [String: Double]]
    /// split -> the task kind's full report (per-class scores, confusion matrix, ...).
    let reports: [String: JSONValue]
    let history: [EvaluationRecord]
    let best: TrainerState.BestCheckpoint?
    let log: [TrainLogEntry]
    let totalSteps: Int?
    /// The processes of a data-parallel run (1 alone): the global batch is ranks x batch_size.
    var ranks = 1

    struct MetricsFile: Encodable {
        var task: String
        var head: String
        var outcome: Outcome
        var wallSeconds: Double
        /// The engine's threads (and OpenBLAS's) the task ran on: its `threads`, or every core.
        var threads: Int
        /// The data-parallel ranks (1 for one process), and the batch of an optimizer step over
        /// all of them (ranks x batch_size x gradient_accumulation_steps).
        var ranks: Int
        var globalBatchSize: Int
        /// label -> its weight in the loss (`class_weights`); absent when the task set none.
        var classWeights: [String: Float]?
        var final: [String: [String: Double]]
        var reports: [String: JSONValue]
        var best: TrainerState.BestCheckpoint?
        var history: [EvaluationRecord]

        enum CodingKeys: String, CodingKey {
            case task, head, outcome, threads, ranks, final, reports, best, history
            case globalBatchSize = "global_batch_size"
            case wallSeconds = "wall_seconds"
            case classWeights = "class_weights"
        }
    }

    func write(to directory: URL) throws {
        try JSONFile.write(MetricsFile(task: spec.name, head: spec.head, outcome: outcome, wallSeconds: (seconds * 100).rounded() / 100,
                                       threads: Parallel.threadCount, ranks: ranks,
                                       globalBatchSize: ranks * spec.training.batchSize * spec.training.gradientAccumulationSteps,
                                       classWeights: classWeights,
                                       final: final, reports: reports, best: best, history: history),
                           to: directory.appendingPathComponent("metrics.json"))
        if !log.isEmpty {
            let loss = SVGLineChart.Series(name: "training loss", points: log.map { (x: Double($0.step), y: $0.loss) })
            var series = [loss]
            let evalLoss = history.compactMap { record in record.metrics["loss"].map { (x: Double(record.step), y: $0) } }
            if !evalLoss.isEmpty { series.append(SVGLineChart.Series(name: "eval loss", points: evalLoss)) }
            try SVGLineChart(title: "\(spec.name): loss", xLabel: "step", yLabel: "loss", series: series)
                .write(to: directory.appendingPathComponent("loss.svg"))
        }
        if let metric = best?.metric ?? spec.training.metricForBestModel, history.count > 0 {
            let points = history.compactMap { record in record.metrics[metric].map { (x: Double(record.step), y: $0) } }
            try SVGLineChart(title: "\(spec.name): eval \(metric)", xLabel: "step", yLabel: metric,
                             series: [SVGLineChart.Series(name: "eval \(metric)", points: points)])
                .write(to: directory.appendingPathComponent("eval_\(metric).svg"))
        }
        try FileSync.writeAtomically(Data(summary().utf8), to: directory.appendingPathComponent("summary.md"))
    }

    func summary() -> String {
        var text = "# \(spec.name)\n\n"
        text += "- head: `\(spec.head)`; model: `\(spec.model.path)`\n"
        text += "- outcome: \(outcome.rawValue) in \(formatDuration(seconds))"
        if let totalSteps, let last = log.last { text += " (\(last.step) of \(totalSteps) steps)" }
        text += "\n"
        let s = spec.training
        let batch = ranks > 1 ? "\(s.batchSize) per rank x \(ranks) ranks" : "\(s.batchSize)"
        text += "- settings: epochs \(s.epochs), batch \(batch), learning rate \(s.learningRate), warmup ratio \(s.warmupRatio), weight decay \(s.weightDecay), max_seq_length \(s.maxSeqLength), seed \(s.seed)\n"
        if let best { text += "- best: \(best.metric) \(String(format: "%.4f", best.value)) at step \(best.step)\n" }
        for split in ["eval", "test"] {
            guard let metrics = final[split], !metrics.isEmpty else { continue }
            text += "\n## \(split)\n\n"
            text += MarkdownTable(headers: ["metric", "value"], rows: metrics.keys.sorted().map { [$0, String(format: "%.4f", metrics[$0]!)] }).render()
            text += "\n"
        }
        if history.count > 1 {
            let names = Array(Set(history.flatMap { $0.metrics.keys })).sorted()
            text += "\n## evaluations during training\n\n"
            text += MarkdownTable(headers: ["step", "epoch"] + names, rows: history.map { record in
                [String(record.step), String(format: "%.2f", record.epoch)] + names.map { record.metrics[$0].map { String(format: "%.4f", $0) } ?? "" }
            }).render()
            text += "\n"
        }
        text += "\nFiles: metrics.json, predictions.jsonl, train_log.jsonl, loss.svg, best/, last/.\n"
        return text
    }
}
