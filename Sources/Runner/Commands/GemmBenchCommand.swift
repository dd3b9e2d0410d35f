import ArgumentParser
import Foundation
import Tensor

/// `bertkit bench gemm`: OpenBLAS sgemm GFLOP/s on BERT-base's shapes at 16 x 128 tokens.
struct GemmBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gemm",
        abstract: "sgemm GFLOP/s on BERT's GEMM shapes at 16x128 tokens (median, min, max).")

    @Option(help: "OpenBLAS threads (default: all cores).")
    var threads: Int?

    @Option(help: "Samples per shape (default: 7).")
    var repeats: Int = 7

    @Option(help: "Seconds per sample, at least (default: 0.3).")
    var seconds: Double = 0.3

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if repeats < 1 { throw ValidationError("--repeats must be at least 1") }
    }

    func run() throws {
        let blas = OpenBLAS.shared
        if let threads { blas.threads = threads }
        let machine = MachineInfo.current()
        let benchmark = GemmBenchmark(repeats: repeats, minimumSeconds: seconds)
        let results = GemmBenchmark.bertShapes().map(benchmark.run)
        if json {
            struct Report: Codable { var machine: MachineInfo; var threads: Int; var results: [GemmBenchmark.Result] }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(Report(machine: machine, threads: blas.threads, results: results)), as: UTF8.self))
            return
        }
        machine.lines.forEach { print($0) }
        print("threads: \(blas.threads), \(repeats) samples of >= \(seconds) s per shape")
        print("shape".padding(toLength: 36, withPad: " ", startingAt: 0) + "   GFLOP/s median      min      max")
        for r in results {
            print(r.shape.name.padding(toLength: 36, withPad: " ", startingAt: 0)
                  + String(format: "   %14.1f %8.1f %8.1f", r.gflops.median, r.gflops.min, r.gflops.max))
        }
    }
}
