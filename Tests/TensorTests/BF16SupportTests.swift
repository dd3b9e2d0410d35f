import XCTest
@testable import Tensor

/// The refusal of bf16 where it cannot run: tested on every CPU with stated features.
final class BF16SupportTests: XCTestCase {
    private let avx512 = ["avx512f", "avx512dq", "avx512bw", "avx512vl"]

    func testACPUWithoutBF16UnitsIsRefusedNamingWhatItLacks() {
        let features = CPUFeatures(flags: Set(avx512 + ["avx512_vnni"]), modelName: "Intel(R) Xeon(R) Processor")
        var loaded = false
        XCTAssertThrowsError(try BF16Support.check(features: features, environment: [:], loadOneDNN: { loaded = true })) { error in
            XCTAssertEqual(error as? PrecisionError, .noBF16Units(cpu: "Intel(R) Xeon(R) Processor"))
            XCTAssertEqual("\(error)", "precision bf16 needs bfloat16 units, and this CPU (Intel(R) Xeon(R) Processor) has neither "
                + "avx512_bf16 nor amx_bf16 among its /proc/cpuinfo flags: use precision fp32 (set BERTKIT_BF16_EMULATION=1 "
                + "to run bf16 emulated by oneDNN, slower than fp32, for testing)")
        }
        XCTAssertFalse(loaded, "the refusal comes before oneDNN is loaded")
    }

    func testAVX512BF16OrAMXCount() throws {
        for flags in [avx512 + ["avx512_bf16"], ["avx2", "fma", "amx_bf16", "amx_tile"]] {
            var loaded = false
            try BF16Support.check(features: CPUFeatures(flags: Set(flags)), environment: [:], loadOneDNN: { loaded = true })
            XCTAssertTrue(loaded, "\(flags)")
        }
        // avx512_bf16 without the AVX-512 base is not a usable flag set
        XCTAssertThrowsError(try BF16Support.check(features: CPUFeatures(flags: ["avx512_bf16"]), environment: [:], loadOneDNN: {}))
    }

    func testEmulationIsAskedForExplicitly() throws {
        let features = CPUFeatures(flags: Set(avx512 + ["avx2", "fma"]))
        XCTAssertThrowsError(try BF16Support.check(features: features, environment: ["BERTKIT_BF16_EMULATION": "0"], loadOneDNN: {}))
        var loaded = false
        try BF16Support.check(features: features, environment: ["BERTKIT_BF16_EMULATION": "1"], loadOneDNN: { loaded = true })
        XCTAssertTrue(loaded)
    }

    func testEmulationWithoutAVX512IsRefusedBeforeOneDNNLoads() {
        // oneDNN 2.x has no bf16 matmul for AVX2 alone: it would abort at the first product
        let features = CPUFeatures(flags: ["avx2", "fma", "avx512_vnni"], modelName: "AMD EPYC")
        var loaded = false
        XCTAssertThrowsError(try BF16Support.check(features: features, environment: ["BERTKIT_BF16_EMULATION": "1"],
                                                   loadOneDNN: { loaded = true })) { error in
            XCTAssertEqual(error as? PrecisionError, .noBF16Emulation(cpu: "AMD EPYC"))
            XCTAssertEqual("\(error)", "BERTKIT_BF16_EMULATION=1: bf16 emulation needs AVX-512 (avx512f, avx512bw, avx512vl, "
                + "avx512dq), and this CPU (AMD EPYC) has not all of them among its /proc/cpuinfo flags, so oneDNN has no bf16 "
                + "matmul for it: use precision fp32")
        }
        XCTAssertFalse(loaded)
    }

    func testAMissingOneDNNNamesThePackage() {
        let features = CPUFeatures(flags: Set(avx512 + ["avx512_bf16"]))
        let missing = OneDNNError.libraryNotFound("libdnnl.so.2: cannot open shared object file")
        XCTAssertThrowsError(try BF16Support.check(features: features, environment: [:], loadOneDNN: { throw missing })) { error in
            let message = "\(error)"
            XCTAssertTrue(message.hasPrefix("precision bf16: cannot load oneDNN (libdnnl.so.2: cannot open shared object file)"), message)
            XCTAssertTrue(message.contains("apt-get install -y libdnnl2"), message)
            XCTAssertTrue(message.contains("precision fp32"), message)
        }
    }
}
