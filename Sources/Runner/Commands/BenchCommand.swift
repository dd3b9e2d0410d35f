import ArgumentParser

/// `bertkit bench ...`: speed measurements (build with -c release).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure speed (use a release build: swift build -c release).",
        subcommands: [TrainBenchCommand.self, InferBenchCommand.self, GemmBenchCommand.self, TokenizeBenchCommand.self]
    )
}
