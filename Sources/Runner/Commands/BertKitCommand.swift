import ArgumentParser

/// The root of BertKit's command line. An executable registers its heads (HeadRegistry) and then
/// calls `BertKitCommand.main()`; an external package's executable does the same with its own heads.
public struct BertKitCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "bertkit",
        abstract: "Fine-tune and evaluate BERT models on Linux.",
        subcommands: [RunCommand.self, ValidateCommand.self, PredictCommand.self, HeadsCommand.self, EmbedCommand.self, TokenizeCommand.self, BenchCommand.self]
    )

    public init() {}
}
