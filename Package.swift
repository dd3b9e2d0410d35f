// swift-tools-version:6.0
// BertKit: fine-tune and evaluate BERT models on Linux, in Swift.
// Imports point down only: CBLAS/CYAML/CKernels/COneDNN -> Tensor, Tokenizers -> Backbone -> Heads,
// TaskFile, Metrics -> Tasks -> Runner -> bertkit (docs/architecture.md).
import PackageDescription

let package = Package(
    name: "BertKit",
    products: [
        .executable(name: "bertkit", targets: ["bertkit"]),
        .library(name: "BertKit", targets: ["Tensor", "Tokenizers", "Backbone", "Heads", "HeadsCRF", "TaskFile", "Metrics", "Tasks", "Runner"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
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
        .target(name: "Tokenizers"),
        .target(name: "Backbone", dependencies: ["Tensor", "Tokenizers"]),
        .target(name: "Heads", dependencies: ["Tensor", "Backbone"]),
        // A head as a plugin: a linear-chain CRF for tagging, registered by the executable.
        .target(name: "HeadsCRF", dependencies: ["Tensor", "Backbone", "Heads"]),
        .target(name: "Metrics"),
        .target(name: "TaskFile", dependencies: ["CYAML", "Tensor", "Backbone"]),
        .target(name: "Tasks", dependencies: ["Tensor", "Tokenizers", "Backbone", "Heads", "TaskFile", "Metrics"]),
        .target(name: "Runner", dependencies: [
            "CKernels", "Tensor", "Tokenizers", "Backbone", "Heads", "TaskFile", "Tasks",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "bertkit", dependencies: ["Runner", "Heads", "HeadsCRF"]),
        .testTarget(name: "TensorTests", dependencies: ["Tensor"]),
        .testTarget(name: "TokenizersTests", dependencies: ["Tokenizers"]),
        .testTarget(name: "BackboneTests", dependencies: ["Tensor", "Tokenizers", "Backbone", "Heads"]),
        .testTarget(name: "HeadsCRFTests", dependencies: ["Tensor", "Backbone", "Heads", "HeadsCRF"]),
        .testTarget(name: "TaskFileTests", dependencies: ["Tensor", "Backbone", "TaskFile"]),
        .testTarget(name: "MetricsTests", dependencies: ["Metrics"]),
        .testTarget(name: "TasksTests", dependencies: ["Tensor", "Tokenizers", "Backbone", "Heads", "TaskFile", "Tasks"]),
        .testTarget(name: "RunnerTests", dependencies: ["Runner", "TaskFile", "Metrics", "Tasks", "Heads", "Backbone", "Tensor"]),
    ],
    swiftLanguageModes: [.v6]
)
