// Every reader of outside input as a function of bytes, for two callers: the libFuzzer build in
// Fuzz/ (one binary, the target chosen by BERTKIT_FUZZ_TARGET) and the regression tests, which
// replay every input that ever crashed or hung (Tests/Fixtures/fuzz/<target>/) through the same
// function. docs/reliability.md says what each target checks.

/// One fuzz target: the bytes go to one reader the way a user's file or request reaches it.
public struct FuzzTarget: Sendable {
    /// The name `scripts/fuzz.sh` and Tests/Fixtures/fuzz/ use ("safetensors-file", "conll-bioes").
    public let name: String
    /// What reads the bytes, and what is checked beyond "no crash".
    public let summary: String
    /// The reader's error is the normal answer to most inputs and is returned by `run`; a broken
    /// guarantee throws `FuzzFailure`; a crash is a crash.
    let body: @Sendable ([UInt8]) throws -> Void

    init(_ name: String, _ summary: String, _ body: @escaping @Sendable ([UInt8]) throws -> Void) {
        self.name = name
        self.summary = summary
        self.body = body
    }

    /// Feeds one input. Returns whether the reader accepted it (or its error); throws
    /// `FuzzFailure` when what it accepted breaks a guarantee (a round trip, offsets, id ranges).
    public func run(_ bytes: [UInt8]) throws(FuzzFailure) -> FuzzOutcome {
        do {
            try body(bytes)
            return .accepted
        } catch let failure as FuzzFailure {
            throw failure
        } catch {
            return .rejected("\(error)")
        }
    }
}

/// What a reader made of one input.
public enum FuzzOutcome: Equatable, Sendable {
    case accepted
    /// The reader's error message.
    case rejected(String)
}

/// A guarantee the reader broke on an input it did not refuse.
public struct FuzzFailure: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }
}

/// Throws `FuzzFailure(message)` unless `condition`.
func require(_ condition: Bool, _ message: @autoclosure () -> String) throws(FuzzFailure) {
    if !condition { throw FuzzFailure(message: message()) }
}

public enum FuzzTargets {
    /// Every target, in the order `scripts/fuzz.sh all` runs them.
    public static let all: [FuzzTarget] =
        SafeTensorsTargets.all + ModelFolderTargets.all + TokenizerTargets.all + [TaskFileTarget.target]
        + ClassificationTargets.all + CoNLLTargets.all + SquadTargets.all + [TextLinesTarget.target]
        + [TrainerStateTarget.target, ServingBodyTarget.target]

    public static func named(_ name: String) -> FuzzTarget? { all.first { $0.name == name } }
}
