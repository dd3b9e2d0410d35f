import FuzzTargets
#if canImport(Glibc)
import Glibc
#endif

/// The target BERTKIT_FUZZ_TARGET names, looked up once; an unknown name stops the run before
/// any input.
let chosenTarget: FuzzTarget = {
    let name = getenv("BERTKIT_FUZZ_TARGET").map { String(cString: $0) } ?? ""
    guard let target = FuzzTargets.named(name) else {
        let known = FuzzTargets.all.map(\.name).joined(separator: " ")
        printError("BERTKIT_FUZZ_TARGET=\(name): not a fuzz target; one of: \(known)")
        exit(2)
    }
    return target
}()

/// One input. A guarantee broken on an accepted input aborts: a crash for libFuzzer, which saves
/// the input.
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    do {
        _ = try chosenTarget.run(bytes)
    } catch {
        printError("\(chosenTarget.name): \(error)")
        abort()
    }
    return 0
}

/// A line on stderr, beside libFuzzer's own report.
func printError(_ line: String) {
    let bytes = Array((line + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}
