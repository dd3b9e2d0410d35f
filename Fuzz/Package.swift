// swift-tools-version:6.0
// The libFuzzer build of BertKit's fuzz targets (Sources/FuzzTargets in the package above): one
// executable, the target chosen by BERTKIT_FUZZ_TARGET. A package of its own so that building
// BertKit never builds it; scripts/fuzz.sh builds it with -sanitize=fuzzer,address (every module,
// BertKit's included, instrumented) and runs it.
import Foundation
import PackageDescription

// A path dependency's identity is its folder's name (main, a worktree's name, a clone's).
let bertKit = URL(fileURLWithPath: Context.packageDirectory).deletingLastPathComponent().lastPathComponent

let package = Package(
    name: "BertKitFuzz",
    dependencies: [.package(path: "..")],
    targets: [
        .systemLibrary(name: "CFuzzerDriver"),
        .executableTarget(name: "bertkit-fuzz", dependencies: ["CFuzzerDriver", .product(name: "FuzzTargets", package: bertKit)]),
    ],
    swiftLanguageModes: [.v6]
)
