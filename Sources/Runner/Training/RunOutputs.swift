import Foundation
import Tasks

/// The files of `<output>/<task>/`: train_log.jsonl and the predictions (metrics.json, summary.md
/// and the SVG curves are RunReport's); and the progress display on stderr. On the ranks of a
/// data-parallel run other than 0 (`writes` false) it writes nothing and shows nothing: rank 0
/// speaks for the run.
final class RunOutputs {
    let directory: URL
    let progress: ProgressReporter
    let writes: Bool
    private let trainLog: JSONLinesWriter?
    private(set) var trainLogEntries: [TrainLogEntry] = []
    init(directory: URL, appendToLog: Bool, writes: Bool = true) throws {
        self.directory = directory
        self.writes = writes
        guard writes else {
            trainLog = nil
            progress = ProgressReporter(sink: SilentSink())
            return
        }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let logURL = directory.appendingPathComponent("train_log.jsonl")
        if appendToLog, let data = try? Data(contentsOf: logURL) {
            trainLogEntries = data.split(separator: 0x0A).compactMap { try? JSONDecoder().decode(TrainLogEntry.self, from: Data($0)) }
        } else {
            try? FileManager.default.removeItem(at: logURL)
        }
        trainLog = try JSONLinesWriter(url: logURL, truncate: !appendToLog)
        progress = ProgressReporter()
    }

    func log(_ entry: TrainLogEntry) throws {
        trainLogEntries.append(entry)
        try trainLog?.append(entry)
    }

    /// predictions.jsonl (predictions-test.jsonl for the test split) and the kind's other files.
    func write(_ evaluation: Evaluation, split: Split) throws {
        guard writes else { return }
        let suffix = split == .eval ? "" : "-\(split.rawValue)"
        let lines = evaluation.predictions.joined(separator: "\n") + (evaluation.predictions.isEmpty ? "" : "\n")
        try Data(lines.utf8).write(to: directory.appendingPathComponent("predictions\(suffix).jsonl"), options: .atomic)
        for (name, data) in evaluation.files {
            try data.write(to: directory.appendingPathComponent(split == .eval ? name : "\(split.rawValue)-\(name)"), options: .atomic)
        }
    }
}
