import ArgumentParser

/// The root of BertKit's command line. An executable registers its heads (HeadRegistry) and any
/// commands of its own (`register(subcommand:)`, as the bertkit executable adds `serve` from the
/// Serving module, which Runner does not import), then calls `BertKitCommand.main()`; an external
/// package's executable does the same with its own heads.
public struct BertKitCommand: ParsableCommand {
    public static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: "bertkit",
            abstract: "Fine-tune and evaluate BERT models on Linux.",
            subcommands: builtInSubcommands + registeredSubcommands
        )
    }

    static let builtInSubcommands: [ParsableCommand.Type] = [
        RunCommand.self, ValidateCommand.self, PredictCommand.self, HeadsCommand.self, EmbedCommand.self, TokenizeCommand.self, BenchCommand.self,
    ]

    // Unsafe, and sound as used: registered at start-up on the main thread, before `main()`
    // parses anything; read-only afterwards (as HeadRegistry and TaskKindRegistry).
    nonisolated(unsafe) private static var registeredSubcommands: [ParsableCommand.Type] = []

    /// Adds a command after the built-in ones (`bertkit <name>`); call before `main()`.
    public static func register(subcommand: ParsableCommand.Type) {
        registeredSubcommands.append(subcommand)
    }

    public init() {}
}
