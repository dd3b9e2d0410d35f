import ArgumentParser
import Foundation
import Tasks

/// `bertkit validate FILE`: check a task file without training.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a task file, its data files, the model folder and the head names, without training.")

    @Argument(help: "The task file (YAML).")
    var file: String

    @Option(name: .customLong("set"), help: "Override a key as `bertkit run` does (repeatable).")
    var overrides: [String] = []

    func run() throws {
        let taskFile = try TaskFileLoader.load(file, overrides: overrides, tasks: [], output: nil)
        print("\(file): ok, \(taskFile.tasks.count) task\(taskFile.tasks.count == 1 ? "" : "s"): " + taskFile.tasks.map { "\($0.name) (\($0.head))" }.joined(separator: ", "))
    }
}
