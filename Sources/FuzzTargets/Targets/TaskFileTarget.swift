import ArgumentParser
import Foundation
import Runner

/// A task file as `bertkit validate FILE` reads it: libyaml, BertKit's node layer, the decoding
/// of every key, `${VAR}` expansion (BERTKIT_FUZZ_MODEL and BERTKIT_FUZZ_DATA are set), and the
/// checks of the model folder, data files and columns beside it (the fixture of
/// Tests/Fixtures/taskfile/validate: model/ and data/train.tsv).
enum TaskFileTarget {
    static let target = FuzzTarget("task-file", "YAML task file -> bertkit validate (libyaml, nodes, ${VAR}, decoding, checks)") { bytes in
        let url = Scratch.write(bytes, as: "tasks.yaml", in: folder)
        var command = try BertKitCommand.parseAsRoot(["validate", url.path])
        try command.run()
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
