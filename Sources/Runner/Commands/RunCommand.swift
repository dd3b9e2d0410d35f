import ArgumentParser
import Foundation
import Heads
import Tasks
import Tensor
import TaskFile

/// `bertkit run FILE`: fine-tune and evaluate the tasks of a task file.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Fine-tune and evaluate the tasks of a YAML task file.",
        discussion: """
            Checks the whole file (keys, values, data files, model folder, heads) before any work. \
            Each task writes <output>/<task>/: metrics.json, predictions.jsonl, train_log.jsonl, \
            summary.md, loss.svg, best/ and last/ checkpoints. Ctrl-C stops after the current step \
            and writes last/; --resume continues from it. See docs/tasks.md for every key.
            """)

    @Argument(help: "The task file (YAML).")
    var file: String

    @Option(name: .customLong("task"), help: "Run only this task (repeat for several; default: all).")
    var tasks: [String] = []

    @Option(help: "Output folder (default: the file's `output`, else runs/ beside the file).")
    var output: String?

    @Option(name: .customLong("set"), help: "Override a key, e.g. --set epochs=1 or --set tasks.sst2.learning_rate=3e-5 (repeatable).")
    var overrides: [String] = []

    @Flag(help: "Continue each task from its last/ checkpoint.")
    var resume = false

    @Flag(help: "Evaluate the model as it is (a fine-tuned checkpoint), without training.")
    var evalOnly = false

    @Option(help: "fp32 or bf16 for every task, over the file's `precision` (default: the file's, else fp32).")
    var precision: Precision?

    @Option(help: .hidden)
    var interruptAfterSteps: Int?

    func validate() throws {
        if resume && evalOnly { throw ValidationError("--resume and --eval-only exclude each other") }
    }

    func run() throws {
        var taskFile = try TaskFileLoader.load(file, overrides: overrides, tasks: tasks, output: output)
        if let precision {
            for i in taskFile.tasks.indices { taskFile.tasks[i].training.precision = precision }
        }
        if let task = taskFile.tasks.first(where: { $0.training.precision == .bf16 }) {
            // the refusal names what asked for bf16: the option, or the key (file:line:column)
            try requireBF16(for: precision != nil ? "--precision bf16" : "\(task.position(of: "precision")): task `\(task.name)`")
        }
        // under mpirun or srun: one rank of a data-parallel job (docs/distributed.md)
        try DataParallelWorld.join()
        Interrupt.install(quiet: !DataParallelWorld.isWriter)
        var failures = 0
        for spec in taskFile.tasks {
            do {
                let result = try TaskRunner(spec: spec, output: taskFile.output, resume: resume, evalOnly: evalOnly,
                                            interruptAfterSteps: interruptAfterSteps).run()
                var line = "[\(spec.name)] \(result.outcome.rawValue): \(result.directory.path)"
                for (split, metrics) in result.finalMetrics.sorted(by: { $0.key < $1.key }) {
                    line += "\n  \(split): " + metrics.keys.sorted().map { String(format: "%@ %.4f", $0, metrics[$0]!) }.joined(separator: ", ")
                }
                if DataParallelWorld.isWriter { print(line) }
                if result.outcome == .interrupted {
                    DataParallelWorld.finish()
                    throw ExitCode(130)
                }
            } catch let exit as ExitCode {
                throw exit
            } catch {
                // on a rank of a job, any error stops every rank: the others would wait for it
                DataParallelWorld.abortIfRanked(error)
                failures += 1
                // most of a task's errors already start with its name
                let message = "\(error)", name = "[\(spec.name)] "
                FileHandle.standardError.write(Data("error: \(message.hasPrefix(name) ? "" : name)\(message)\n".utf8))
            }
        }
        DataParallelWorld.finish()
        if failures > 0 { throw ExitCode.failure }
    }
}

/// Loads, selects and validates a task file with the registered heads; every problem at once.
enum TaskFileLoader {
    static func load(_ path: String, overrides: [String], tasks: [String], output: String?) throws -> TaskFile {
        let url = URL(fileURLWithPath: path)
        let heads = HeadRegistry.all
        let kindRules = heads.compactMap { head in TaskKindRegistry.rules(for: head.taskKind).map { (head.name, $0) } }
        do {
            var taskFile = try TaskFile.load(url: url, overrides: overrides, environment: ProcessInfo.processInfo.environment,
                                             selecting: tasks) { file in
                file.validationProblems(knownHeads: Set(heads.map(\.name)), headTaskKinds: Dictionary(uniqueKeysWithValues: kindRules),
                                        classWeightedHeads: Set(heads.filter(\.acceptsClassWeights).map(\.name)))
            }
            if let output { taskFile.output = URL(fileURLWithPath: output) }
            return taskFile
        } catch let errors as TaskFileErrors {
            // one line per problem, as a compiler prints them, then how many and where
            let count = errors.problems.count
            let summary = "\(count) error\(count == 1 ? "" : "s") in \(path)"
            FileHandle.standardError.write(Data((errors.description + "\n" + summary + "\n").utf8))
            throw ExitCode.failure
        }
    }
}
