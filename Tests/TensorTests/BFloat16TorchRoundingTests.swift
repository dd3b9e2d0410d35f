import Foundation
import XCTest
import CKernels
import Tensor

/// float32 -> bfloat16 against PyTorch's `x.to(torch.bfloat16)`, bit for bit: ties both ways,
/// subnormals, overflow to infinity, signed zeros, infinities, NaNs with payloads, and seeded
/// random values over every exponent (Tests/Fixtures/bf16/rounding.safetensors, made by
/// generate.py beside it). Software rounding, so it runs on every CPU.
final class BFloat16TorchRoundingTests: XCTestCase {
    struct Fixture {
        let inputs: [Float]
        let expected: [UInt16]
        /// The edge cases' names, for the first `names.count` values.
        let names: [String]

        func label(_ i: Int) -> String {
            let bits = String(inputs[i].bitPattern, radix: 16)
            return i < names.count ? "\(names[i]) (0x\(bits))" : "random #\(i - names.count) (0x\(bits))"
        }
    }

    static func fixture() throws -> Fixture {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/bf16/rounding.safetensors")
        let file = try SafeTensorsFile(contentsOf: url)
        // the input as bits, so that every NaN payload reaches the rounding unchanged
        let inputs = try file.int32Values(named: "input_bits").map { Float(bitPattern: UInt32(bitPattern: $0)) }
        let expected = try file.int32Values(named: "expected_bits").map { UInt16(exactly: $0)! }
        let names = try JSONDecoder().decode([String].self, from: Data((file.metadata["edge_cases"] ?? "[]").utf8))
        let stored = try file.tensor(named: "input").values
        precondition(zip(stored, inputs).allSatisfy { $0.bitPattern == $1.bitPattern }, "input and input_bits disagree")
        return Fixture(inputs: inputs, expected: expected, names: names)
    }

    func testScalarRoundingMatchesTorchBitForBit() throws {
        let f = try Self.fixture()
        XCTAssertGreaterThan(f.inputs.count, 4000)
        XCTAssertEqual(f.inputs.count, f.expected.count)
        XCTAssertTrue(f.inputs.contains { $0.isNaN } && f.inputs.contains { $0.isSubnormal }, "the fixture has the edge cases")
        var failures = 0
        for (i, x) in f.inputs.enumerated() {
            let actual = BFloat16.round(x)
            if actual != f.expected[i] {
                failures += 1
                if failures <= 20 {
                    XCTFail("\(f.label(i)): 0x\(String(actual, radix: 16)) vs torch 0x\(String(f.expected[i], radix: 16))")
                }
            }
        }
        XCTAssertEqual(failures, 0, "values rounded unlike torch, of \(f.inputs.count)")
    }

    /// The buffer version, over the whole array and over short unaligned runs, so that both a
    /// vectorised loop and its remainder see every kind of value; then over the fixture repeated
    /// past the size that splits the work between threads.
    func testBufferRoundingMatchesTorchBitForBit() throws {
        let fixture = try Self.fixture()
        let copies = 2 * 65536 / fixture.inputs.count + 1
        let f = Fixture(inputs: Array([[Float]](repeating: fixture.inputs, count: copies).joined()),
                        expected: Array([[UInt16]](repeating: fixture.expected, count: copies).joined()), names: fixture.names)
        var runs = [(start: 0, count: fixture.inputs.count), (start: 3, count: f.inputs.count - 3)]
        for count in 1...37 { runs.append((start: (count * 7) % 61, count: count)) }
        runs.append((start: 1, count: f.names.count))  // the edge cases at an odd offset
        var failures = 0
        for run in runs {
            var out = [UInt16](repeating: 0xDEAD, count: run.count + 1)
            f.inputs.withUnsafeBufferPointer { x in
                out.withUnsafeMutableBufferPointer { o in
                    BFloat16.round(x.baseAddress! + run.start, count: run.count, into: o.baseAddress!)
                }
            }
            XCTAssertEqual(out[run.count], 0xDEAD, "run \(run): wrote past count")
            for j in 0..<run.count where out[j] != f.expected[run.start + j] {
                failures += 1
                if failures <= 20 {
                    XCTFail("run \(run), \(f.label(run.start + j)): 0x\(String(out[j], radix: 16)) vs torch 0x\(String(f.expected[run.start + j], radix: 16))")
                }
            }
        }
        XCTAssertEqual(failures, 0)
    }

    /// The in-place kernel attention uses (`bk_round_bf16_values`): every float becomes the
    /// widening of torch's bits, over the whole fixture and short unaligned runs.
    func testInPlaceRoundingGivesTorchsValues() throws {
        let f = try Self.fixture()
        var runs = [(start: 0, count: f.inputs.count)]
        for count in 1...37 { runs.append((start: (count * 5) % 53, count: count)) }
        for run in runs {
            var x = Array(f.inputs[run.start..<(run.start + run.count)]) + [1.2345]
            x.withUnsafeMutableBufferPointer { bk_round_bf16_values($0.baseAddress!, run.count) }
            XCTAssertEqual(x[run.count], 1.2345, "run \(run): wrote past count")
            for j in 0..<run.count {
                let expected = UInt32(f.expected[run.start + j]) << 16
                if x[j].bitPattern != expected {
                    XCTFail("run \(run), \(f.label(run.start + j)): 0x\(String(x[j].bitPattern, radix: 16)) vs torch's 0x\(String(expected, radix: 16))")
                    return
                }
            }
        }
    }

    /// Widening the rounded bits back: the nearest bfloat16 as a float, exact for every finite
    /// value; NaN stays NaN.
    func testFloatOfRoundedBitsIsTheirWidening() throws {
        let f = try Self.fixture()
        for (i, bits) in f.expected.enumerated() {
            let widened = BFloat16.float(bits)
            if f.inputs[i].isNaN {
                XCTAssertTrue(widened.isNaN, f.label(i))
            } else {
                XCTAssertEqual(widened.bitPattern, UInt32(bits) << 16, f.label(i))
            }
        }
    }
}
