import ArgumentParser
import Heads

/// `bertkit heads`: the heads this executable knows.
struct HeadsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "heads", abstract: "List the registered heads.")

    func run() throws {
        for head in HeadRegistry.all {
            var line = "\(head.name)  [task kind: \(head.taskKind); checkpoint: \(head.architecture)]\n    \(head.summary)"
            if !head.optionKeys.isEmpty { line += "\n    head_config: " + head.optionKeys.sorted().joined(separator: ", ") }
            if head.acceptsClassWeights { line += "\n    takes class_weights" }
            print(line)
        }
    }
}
