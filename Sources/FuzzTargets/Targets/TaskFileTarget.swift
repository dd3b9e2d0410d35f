import Foundation
import Heads
import Runner
import Tasks
import TaskFile

/// A task file as `bertkit validate FILE` reads it (Runner's TaskFileLoader, minus printing the
/// errors to stderr): libyaml, BertKit's node layer, the decoding of every key, `${VAR}`
/// expansion (BERTKIT_FUZZ_MODEL and BERTKIT_FUZZ_DATA are set), and the checks of the heads,
/// the model folder, data files and columns beside it (the fixture of
/// Tests/Fixtures/taskfile/validate: model/ and data/train.tsv). Every error of the file must be
/// reported with its place in the file.
enum TaskFileTarget {
    static let target = FuzzTarget("task-file", "YAML task file -> what bertkit validate checks (libyaml, nodes, ${VAR}, decoding, checks)") { bytes in
        let url = Scratch.write(bytes, as: "tasks.yaml", in: folder)
        let heads = HeadRegistry.all
        let kindRules = heads.compactMap { head in TaskKindRegistry.rules(for: head.taskKind).map { (head.name, $0) } }
        do {
            _ = try TaskFile.load(url: url, environment: ProcessInfo.processInfo.environment, selecting: []) { file in
                file.validationProblems(knownHeads: Set(heads.map(\.name)), headTaskKinds: Dictionary(uniqueKeysWithValues: kindRules),
                                        classWeightedHeads: Set(heads.filter(\.acceptsClassWeights).map(\.name)))
            }
        } catch let errors as TaskFileErrors {
            try require(!errors.problems.isEmpty, "a task file refused with no error")
            for problem in errors.problems {
                try require(problem.location.hasPrefix(url.path), "a problem not placed in the task file: \(problem)")
            }
            throw errors
        }
    }

    /// The task file's folder, with the model and data its relative paths can name.
    static let folder: URL = {
        _ = BuiltInsOnce.register
        let folder = Scratch.folder("task-file")
        let fixture = Fixtures.folder.appendingPathComponent("taskfile/validate")
        for name in ["model", "data"] {
            try! FileManager.default.copyItem(at: fixture.appendingPathComponent(name), to: folder.appendingPathComponent(name))
        }
        setenv("BERTKIT_FUZZ_MODEL", folder.appendingPathComponent("model").path, 1)
        setenv("BERTKIT_FUZZ_DATA", folder.appendingPathComponent("data").path, 1)
        return folder
    }()
}
