import XCTest
@testable import Tensor

final class KernelChoiceTests: XCTestCase {
    // The flags of two CPUs of BENCHMARKS.md's sittings (abridged to the ones that matter).
    let intelSapphire = CPUFeatures(flags: ["sse4_2", "avx", "avx2", "fma", "avx512f", "avx512dq", "avx512bw", "avx512vl", "avx512_bf16", "amx_tile"])
    let amdZen3 = CPUFeatures(flags: ["sse4_2", "avx", "avx2", "fma"])
    let oldCPU = CPUFeatures(flags: ["sse4_2", "avx"])

    func testIntelModel207GetsAVX512KernelWhenUnset() {
        let choice = KernelChoice.decide(features: intelSapphire, userSetting: nil)
        XCTAssertEqual(choice.coreTypeToSet, "Cooperlake")
        XCTAssertEqual(choice.source, .engine)
        // What Debian's 0.3.21 picks on its own there is the generic kernel: not the widest.
        XCTAssertFalse(KernelChoice.isWidest(liveKernel: "Prescott", features: intelSapphire))
        XCTAssertTrue(KernelChoice.isWidest(liveKernel: "Cooperlake", features: intelSapphire))
        XCTAssertTrue(KernelChoice.isWidest(liveKernel: "SkylakeX", features: intelSapphire))
    }

    func testAVX512WithoutBF16GetsSkylakeX() {
        var features = intelSapphire
        features.flags.remove("avx512_bf16")
        XCTAssertEqual(KernelChoice.decide(features: features, userSetting: "").coreTypeToSet, "SkylakeX")
    }

    func testAMDZen3GetsHaswellFamily() {
        let choice = KernelChoice.decide(features: amdZen3, userSetting: nil)
        XCTAssertEqual(choice.coreTypeToSet, "Haswell")
        XCTAssertTrue(KernelChoice.isWidest(liveKernel: "Zen", features: amdZen3))
        XCTAssertTrue(KernelChoice.isWidest(liveKernel: "Haswell", features: amdZen3))
        XCTAssertFalse(KernelChoice.isWidest(liveKernel: "Sandybridge", features: amdZen3))
    }

    func testUserSettingIsRespected() {
        let choice = KernelChoice.decide(features: intelSapphire, userSetting: "Haswell")
        XCTAssertNil(choice.coreTypeToSet)
        XCTAssertEqual(choice.source, .user)
        XCTAssertEqual(choice.widestKernel, "Cooperlake")
    }

    func testNoVectorExtensionsLeavesItToTheLibrary() {
        XCTAssertNil(KernelChoice.decide(features: oldCPU, userSetting: nil).coreTypeToSet)
    }

    func testParsesCPUInfo() {
        let text = "processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu avx2 fma avx512f\n\nprocessor\t: 1\nflags\t\t: other\n"
        let features = CPUFeatures.parse(cpuinfo: text)
        XCTAssertEqual(features.modelName, "AMD EPYC")
        XCTAssertEqual(features.flags, ["fpu", "avx2", "fma", "avx512f"])
    }

    func testLoadedLibraryPassedItsSelfCheck() {
        // `shared` verifies sgemm against a float64 reference on odd shapes when it loads.
        let blas = OpenBLAS.shared
        XCTAssertFalse(blas.kernel.isEmpty)
        XCTAssertGreaterThanOrEqual(blas.threads, 1)
        if blas.choice.source == .engine {
            XCTAssertTrue(KernelChoice.isWidest(liveKernel: blas.kernel, features: blas.features), blas.kernelReport)
        }
    }

    func testWorkerThreadsSleepRightAfterAGEMMUnlessTheUserChoseOtherwise() {
        // `load` sets OPENBLAS_THREAD_TIMEOUT before dlopen when the environment has none, and
        // the report names the value the library runs with.
        let blas = OpenBLAS.shared
        guard let value = getenv("OPENBLAS_THREAD_TIMEOUT").map({ String(cString: $0) }) else {
            return XCTFail("OPENBLAS_THREAD_TIMEOUT is not set after loading OpenBLAS")
        }
        XCTAssertTrue(blas.kernelReport.contains("thread timeout 2^\(value)"), blas.kernelReport)
        XCTAssertEqual(OpenBLAS.threadTimeout, "4")
    }
}
