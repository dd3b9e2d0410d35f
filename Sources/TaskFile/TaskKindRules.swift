import Foundation

/// What validation checks of a task's `data:` block for the task kind its head trains on: the
/// formats the kind reads and the kind's own checks (the columns its files must have, ...). The
/// task kinds give these (Tasks' `TaskKindRegistry.rules(for:)`); the task file names no kind.
public struct TaskKindRules {
    public var kind: String
    public var formats: [DataFormat]
    /// `data:` keys the kind reads beyond those of its format (`line_by_line`), which validation
    /// then accepts for this kind's tasks.
    public var dataKeys: Set<String>
    /// Problems in the `data:` block found without loading the model or reading whole files;
    /// `fileExists` is validation's own (replaceable for tests).
    public var checkData: (_ data: DataSpec, _ fileExists: (URL) -> Bool) -> [DataProblem]

    public init(kind: String, formats: [DataFormat], dataKeys: Set<String> = [],
                checkData: @escaping (_ data: DataSpec, _ fileExists: (URL) -> Bool) -> [DataProblem] = { _, _ in [] }) {
        self.kind = kind
        self.formats = formats
        self.dataKeys = dataKeys
        self.checkData = checkData
    }
}

/// One problem in a `data:` block, reported at the key it concerns (`text`, `label`, `train`, ...).
public struct DataProblem: Equatable, Sendable {
    public var key: String
    public var message: String

    public init(key: String, message: String) {
        self.key = key
        self.message = message
    }
}
