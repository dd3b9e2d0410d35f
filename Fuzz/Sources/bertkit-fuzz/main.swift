// libFuzzer's entry point: every input goes to the target BERTKIT_FUZZ_TARGET names
// (Sources/FuzzTargets). Built with -parse-as-library, so libFuzzer's main runs, not this file.
import FuzzTargets
#if canImport(Glibc)
import Glibc
#endif

/// The chosen target, looked up once; an unknown name stops the run before any input.
let target: FuzzTarget = {
    let name = getenv("BERTKIT_FUZZ_TARGET").map { String(cString: $0) } ?? ""
    guard let target = FuzzTargets.named(name) else {
        let known = FuzzTargets.all.map(\.name).joined(separator: " ")
        fputs("BERTKIT_FUZZ_TARGET=\(name): not a fuzz target; one of: \(known)\n", stderr)
        exit(2)
    }
    return target
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let bytes = start.map { Array(UnsafeRawBufferPointer(start: $0, count: count)) } ?? []
    do {
        _ = try target.run(bytes)
    } catch {
        // a guarantee broken on an accepted input: a crash for libFuzzer, which saves the input
        fputs("\(target.name): \(error)\n", stderr)
        abort()
    }
    return 0
}

/// With BERTKIT_FUZZ_LIST set, prints the targets (name, tab, what each checks) and exits:
/// `scripts/fuzz.sh --list`.
@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> CInt {
    if getenv("BERTKIT_FUZZ_LIST") != nil {
        for target in FuzzTargets.all { print("\(target.name)\t\(target.summary)") }
        exit(0)
    }
    _ = target
    return 0
}
