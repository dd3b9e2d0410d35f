import ArgumentParser
import Foundation
import Tensor

/// `bertkit bench gemm`: OpenBLAS sgemm GFLOP/s on BERT-base's shapes at 16 x 128 tokens.
struct GemmBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gemm",
        abstract: "sgemm GFLOP/s on BERT's GEMM shapes at 16x128 tokens, threaded by OpenBLAS and as the engine splits it (median, min, max).")

    @Option(help: "Threads (default: OpenBLAS's, all cores unless OPENBLAS_NUM_THREADS says otherwise).")
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
        // Each shape as OpenBLAS threads one call (the peer's reference), then as the engine runs
        // it (row blocks, one single-threaded call per core), alternated shape by shape.
        let libraryBenchmark = GemmBenchmark(repeats: repeats, minimumSeconds: seconds, threading: .library)
        let splitBenchmark = GemmBenchmark(repeats: repeats, minimumSeconds: seconds, threading: .split)
        var library: [GemmBenchmark.Result] = [], split: [GemmBenchmark.Result] = []
        for shape in GemmBenchmark.bertShapes() {
            library.append(libraryBenchmark.run(shape))
            split.append(splitBenchmark.run(shape))
        }
        if json {
            struct Report: Codable {
                var machine: MachineInfo; var threads: Int
                var results: [GemmBenchmark.Result]; var engineSplitResults: [GemmBenchmark.Result]
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let report = Report(machine: machine, threads: blas.threads, results: library, engineSplitResults: split)
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
            return
        }
        machine.lines.forEach { print($0) }
        print("threads: \(blas.threads), \(repeats) samples of >= \(seconds) s per shape; GFLOP/s median [min .. max]")
        print("shape".padding(toLength: 36, withPad: " ", startingAt: 0) + "   OpenBLAS threading        engine's row blocks")
        for (l, s) in zip(library, split) {
            print(l.shape.name.padding(toLength: 36, withPad: " ", startingAt: 0)
                  + String(format: "   %6.1f [%6.1f .. %6.1f]   %6.1f [%6.1f .. %6.1f]",
                           l.gflops.median, l.gflops.min, l.gflops.max, s.gflops.median, s.gflops.min, s.gflops.max))
        }
    }
}
