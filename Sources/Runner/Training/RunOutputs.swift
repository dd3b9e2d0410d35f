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
    /// `appendToLog`: a resumed run continues train_log.jsonl; `resumedStep` is the step it
    /// resumes at, after which any lines are dropped (a killed run logged steps past its last/,
    /// which the resumed run does again, and may have left a cut line).
    init(directory: URL, appendToLog: Bool, resumedStep: Int? = nil, writes: Bool = true) throws {
        self.directory = directory
        self.writes = writes
        guard writes else {
            trainLog = nil
            progress = ProgressReporter(sink: SilentSink())
            return
        }
        try FileSync.createFolder(directory)
        let logURL = directory.appendingPathComponent("train_log.jsonl")
        if appendToLog, let data = try? Data(contentsOf: logURL) {
            var kept = Data()
            for line in data.split(separator: 0x0A) {
                guard let entry = try? JSONDecoder().decode(TrainLogEntry.self, from: Data(line)),
                      entry.step <= resumedStep ?? .max else { continue }
                trainLogEntries.append(entry)
                kept.append(contentsOf: line)
                kept.append(0x0A)
            }
            if kept != data { try FileSync.writeAtomically(kept, to: logURL) }
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
        try FileSync.writeAtomically(Data(lines.utf8), to: directory.appendingPathComponent("predictions\(suffix).jsonl"))
        for (name, data) in evaluation.files {
            try FileSync.writeAtomically(data, to: directory.appendingPathComponent(split == .eval ? name : "\(split.rawValue)-\(name)"))
        }
    }
}
