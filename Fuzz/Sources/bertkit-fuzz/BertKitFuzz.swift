// bertkit-fuzz: libFuzzer over the target BERTKIT_FUZZ_TARGET names (Sources/FuzzTargets in the
// package above). SwiftPM links an executable's main to its module's entry point, so instead of
// libFuzzer's own main this hands the command line to libFuzzer's driver: every libFuzzer flag
// works. (-parse-as-library, which scripts/fuzz.sh passes to every module, wants `@main` here.)
import CFuzzerDriver
import FuzzTargets
#if canImport(Glibc)
import Glibc
#endif

@main
enum BertKitFuzz {
    static func main() {
        // `scripts/fuzz.sh --list`: the targets, one a line (name, tab, what it checks)
        if getenv("BERTKIT_FUZZ_LIST") != nil {
            for target in FuzzTargets.all { print("\(target.name)\t\(target.summary)") }
            exit(0)
        }
        // the target's one-time set-up (the fixture tokenizers' tables, a task file's folder)
        // runs here, before libFuzzer times its first input: on a loaded machine it once took
        // longer than the 10 s an input may take, and the empty input was reported as a hang
        _ = try? chosenTarget.run([])
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzOneInput(data, size) })
    }
}
