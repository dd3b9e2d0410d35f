// swift-tools-version:6.0
// An external package that grows BertKit by a head of its own: multi-label classification
// (sigmoid + binary cross-entropy, micro/macro F1 at 0.5) with its own task kind, and an
// executable that registers both and runs BertKit's command line. Depends on BertKit by path.
import PackageDescription

let package = Package(
    name: "CustomHead",
    products: [
        .executable(name: "bertkit-multilabel", targets: ["bertkit-multilabel"]),
    ],
    dependencies: [
        .package(name: "BertKit", path: "../.."),
    ],
    targets: [
        // the head, its loss op and its task kind: a library so that its tests can import it
        .target(name: "MultiLabel", dependencies: [.product(name: "BertKit", package: "BertKit")]),
        .executableTarget(name: "bertkit-multilabel", dependencies: ["MultiLabel", .product(name: "BertKit", package: "BertKit")]),
        .testTarget(name: "MultiLabelTests", dependencies: ["MultiLabel", .product(name: "BertKit", package: "BertKit")]),
    ],
    swiftLanguageModes: [.v5]
)
