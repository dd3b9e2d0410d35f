// swift-tools-version:6.0
// BertKit: fine-tune and evaluate BERT models on Linux, in Swift.
// Imports point down only: CBLAS/CYAML/CKernels/COneDNN/CMPI -> Tensor, Tokenizers -> Distributed,
// Backbone -> Heads, TaskFile, TaskMetrics -> Tasks -> Runner -> Serving -> bertkit (docs/architecture.md). Serving (the
// HTTP server, on Hummingbird) is linked by the executable only: the library product does not build it.
import PackageDescription

let package = Package(
    name: "BertKit",
    products: [
        .executable(name: "bertkit", targets: ["bertkit"]),
        .library(name: "BertKit", targets: ["Tensor", "Tokenizers", "Backbone", "Heads", "HeadsCRF", "TaskFile", "TaskMetrics", "Tasks", "Distributed", "Runner"]),
        // For Fuzz/ (the libFuzzer build, its own package) only: not part of BertKit's library.
        .library(name: "FuzzTargets", targets: ["FuzzTargets"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // `bertkit serve` (Sources/Serving) only
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // OpenBLAS: headers only. The engine dlopens the library itself so that it can choose the
        // kernel (OPENBLAS_CORETYPE) before the library reads it (docs/architecture.md, "Where things are decided").
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CYAML", path: "Sources/CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        // Element-wise and per-row kernels in C, compiled for AVX-512, AVX2 and baseline x86-64
        // and dispatched at run time (docs/architecture.md, "How to add ... a C kernel").
        .target(name: "CKernels", path: "Sources/CKernels"),
        // oneDNN's bf16 matmul for mixed precision: compiled against libdnnl-dev's headers, the
        // library itself dlopened at the first bf16 GEMM, so an fp32 run needs none of it.
        .target(name: "COneDNN", path: "Sources/COneDNN", linkerSettings: [.linkedLibrary("dl")]),
        .target(name: "Tensor", dependencies: ["CBLAS", "CKernels", "COneDNN"], linkerSettings: [.linkedLibrary("dl")]),
        // Open MPI for data-parallel training (docs/distributed.md): no headers needed to build,
        // the library dlopened only when a launcher (mpirun, srun) started the process.
        .target(name: "CMPI", path: "Sources/CMPI", linkerSettings: [.linkedLibrary("dl")]),
        .target(name: "Distributed", dependencies: ["CMPI", "Tensor"]),
        .target(name: "Tokenizers"),
        .target(name: "Backbone", dependencies: ["Tensor", "Tokenizers"]),
        .target(name: "Heads", dependencies: ["Tensor", "Backbone"]),
        // A head as a plugin: a linear-chain CRF for tagging, registered by the executable.
        .target(name: "HeadsCRF", dependencies: ["Tensor", "Backbone", "Heads"]),
        // Named so as not to clash with swift-metrics' Metrics module (beneath Hummingbird): SwiftPM
        // wants module names unique across the whole graph, and its module aliases do not work
        // reliably when BertKit is itself a dependency (swiftlang/swift-package-manager#6913).
        .target(name: "TaskMetrics"),
        .target(name: "TaskFile", dependencies: ["CYAML", "Tensor", "Backbone"]),
        .target(name: "Tasks", dependencies: ["Tensor", "Tokenizers", "Backbone", "Heads", "TaskFile", "TaskMetrics"]),
        .target(name: "Runner", dependencies: [
            "CKernels", "Tensor", "Tokenizers", "Backbone", "Heads", "TaskFile", "Tasks", "Distributed",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // `bertkit serve`: the HTTP server with dynamic batching, limits and metrics (docs/serving.md).
        .target(name: "Serving", dependencies: [
            "Tensor", "Tokenizers", "Backbone", "Heads", "Tasks", "Runner",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "bertkit", dependencies: ["Runner", "Heads", "HeadsCRF", "Serving"]),
        // Every reader of outside input as a function of bytes (docs/reliability.md): what the
        // fuzzer in Fuzz/ calls, and what FuzzRegressionTests replays the saved inputs through.
        .target(name: "FuzzTargets", dependencies: [
            "Tensor", "Tokenizers", "Backbone", "Heads", "TaskFile", "Tasks", "Runner", "Serving",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "TensorTests", dependencies: ["Tensor"]),
        .testTarget(name: "TokenizersTests", dependencies: ["Tokenizers"]),
        .testTarget(name: "DistributedTests", dependencies: ["Distributed"]),
        .testTarget(name: "BackboneTests", dependencies: ["Tensor", "Tokenizers", "Backbone", "Heads"]),
        .testTarget(name: "HeadsCRFTests", dependencies: ["Tensor", "Backbone", "Heads", "HeadsCRF"]),
        .testTarget(name: "TaskFileTests", dependencies: ["Tensor", "Backbone", "TaskFile"]),
        .testTarget(name: "TaskMetricsTests", dependencies: ["TaskMetrics"]),
        .testTarget(name: "TasksTests", dependencies: ["Tensor", "Tokenizers", "Backbone", "Heads", "TaskFile", "TaskMetrics", "Tasks"]),
        .testTarget(name: "RunnerTests", dependencies: ["Runner", "TaskFile", "TaskMetrics", "Tasks", "Heads", "Backbone", "Tensor"]),
        .testTarget(name: "ServingTests", dependencies: [
            "Serving", "Runner", "Tasks", "Backbone", "Tokenizers", "Tensor",
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "FuzzRegressionTests", dependencies: ["FuzzTargets"]),
    ],
    swiftLanguageModes: [.v6]
)
