import Foundation
import XCTest
@testable import Tensor

/// Reader and writer of safetensors files: the real all-MiniLM-L6-v2 checkpoint, bit-exact round
/// trips, F16/BF16 widening against known bit patterns, and one test per validation error.
final class SafeTensorsTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("SafeTensorsTests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    // MARK: helpers

    /// Writes `bytes` as-is to a file in the test's folder.
    private func rawFile(_ name: String, _ bytes: [UInt8]) throws -> URL {
        let url = folder.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url
    }

    /// A file assembled by hand from the format description (independent of the writer):
    /// u64 little-endian header length, the header text as given, then `data`.
    private func handMadeFile(_ name: String, header: String, data: [UInt8] = []) throws -> URL {
        let json = Array(header.utf8)
        return try rawFile(name, littleEndianBytes(UInt64(json.count)) + json + data)
    }

    private func littleEndianBytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }

    private func littleEndianBytes<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
        values.flatMap { littleEndianBytes($0) }
    }

    /// The SafeTensorsError thrown by `body`, failing the test if it throws nothing or another type.
    private func safeTensorsError<R>(_ body: () throws -> R, file: StaticString = #filePath, line: UInt = #line) -> SafeTensorsError? {
        do {
            _ = try body()
            XCTFail("expected a SafeTensorsError, got success", file: file, line: line)
        } catch let error as SafeTensorsError {
            return error
        } catch {
            XCTFail("expected a SafeTensorsError, got \(error)", file: file, line: line)
        }
        return nil
    }

    /// Opening `url` throws exactly `expected`, whose message names the file (and `tensor`).
    private func assertOpenFails(_ url: URL, _ expected: SafeTensorsError, tensor: String? = nil,
                                 file: StaticString = #filePath, line: UInt = #line) {
        let error = safeTensorsError({ try SafeTensorsFile(contentsOf: url) }, file: file, line: line)
        XCTAssertEqual(error, expected, file: file, line: line)
        let message = error?.description ?? ""
        XCTAssertTrue(message.contains(url.path), "message does not name the file: \(message)", file: file, line: line)
        if let tensor {
            XCTAssertTrue(message.contains("'\(tensor)'"), "message does not name the tensor: \(message)", file: file, line: line)
        }
    }

    private func bits(_ tensor: Tensor) -> [UInt32] { tensor.values.map(\.bitPattern) }

    // MARK: the real model

    private var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    func testReadsAllMiniLMCheckpoint() throws {
        let url = repositoryRoot.appendingPathComponent("models/all-MiniLM-L6-v2/model.safetensors")
        guard FileManager.default.fileExists(atPath: url.path) else {
            return XCTFail("\(url.path) is missing: run `SKIP_BUILD=1 bash scripts/setup.sh` first")
        }
        let file = try SafeTensorsFile(contentsOf: url)
        XCTAssertEqual(file.names.count, 104)
        XCTAssertEqual(Set(file.names).count, 104)
        XCTAssertEqual(file.metadata, ["format": "pt"])
        XCTAssertEqual(file.dataStart, 8 + 11408)  // header length read with python struct.unpack('<Q')
        // Data order: position_ids has data_offsets [0, 4096], pooler.dense.weight is last.
        XCTAssertEqual(file.names.first, "embeddings.position_ids")
        XCTAssertEqual(file.names.last, "pooler.dense.weight")

        let word = try file.info(named: "embeddings.word_embeddings.weight")
        XCTAssertEqual(word.dtype, .f32)
        XCTAssertEqual(word.shape, [30522, 384])
        XCTAssertEqual(word.byteCount, 30522 * 384 * 4)
        let bias = try file.info(named: "encoder.layer.5.output.LayerNorm.bias")
        XCTAssertEqual(bias.dtype, .f32)
        XCTAssertEqual(bias.shape, [384])
        XCTAssertEqual(bias.dataOffsets, 87_901_696..<87_903_232)
        let query = try file.info(named: "encoder.layer.0.attention.self.query.weight")
        XCTAssertEqual(query.shape, [384, 384])
        XCTAssertEqual(query.dataOffsets, 48_865_792..<49_455_616)
        let positions = try file.info(named: "embeddings.position_ids")
        XCTAssertEqual(positions.dtype, .i64)
        XCTAssertEqual(positions.shape, [1, 512])

        // Expected values: python3 + numpy, parsing the file by hand (struct.unpack('<Q') for the
        // header length, json.loads for the header, np.frombuffer(dtype='<f4'/'<i8') on the
        // data_offsets slice), printing float values and their uint32 bit patterns.
        let embeddings = try file.tensor(named: "embeddings.word_embeddings.weight")
        XCTAssertEqual(embeddings.shape, [30522, 384])
        let expectedWord: [(row: Int, column: Int, bits: UInt32)] = [
            (0, 0, 0xBCA3_C000),      // -0.019989013671875
            (0, 1, 0xBB5F_0000),      // -0.0034027099609375
            (101, 0, 0xBC90_568E),    // -0.01761939749121666
            (101, 383, 0xBD7C_A168),  // -0.061677366495132446
            (30521, 383, 0x3B95_C079),  // 0.004570063669234514
        ]
        for (row, column, expected) in expectedWord {
            XCTAssertEqual(embeddings[flat: row * 384 + column].bitPattern, expected, "word_embeddings[\(row), \(column)]")
        }
        let layerNormBias = try file.tensor(named: "encoder.layer.5.output.LayerNorm.bias")
        XCTAssertEqual(Array(bits(layerNormBias).prefix(3)), [0xBD14_B711, 0x3D87_81CE, 0x3C74_E03E])
        // numpy: b.astype(np.float64).sum() = 7.2105114300965525
        XCTAssertEqual(layerNormBias.values.reduce(0.0) { $0 + Double($1) }, 7.2105114300965525, accuracy: 1e-9)
        let queryWeight = try file.tensor(named: "encoder.layer.0.attention.self.query.weight")
        XCTAssertEqual(queryWeight[flat: 383 * 384].bitPattern, 0x3D99_0402)  // q[383, 0] = 0.07471467554569244

        // position_ids: 0, 1, ..., 511 (numpy: p[0, :3] = [0 1 2], p[0, -1] = 511).
        XCTAssertEqual(try file.int64Values(named: "embeddings.position_ids"), (0..<512).map(Int64.init))
        XCTAssertEqual(try file.int32Values(named: "embeddings.position_ids"), (0..<512).map(Int32.init))
        XCTAssertEqual(safeTensorsError { try file.tensor(named: "embeddings.position_ids") },
                       .unsupportedConversion(path: url.path, tensor: "embeddings.position_ids", dtype: .i64, wanted: "Float32"))

        let floats = try file.allFloatTensors()
        XCTAssertEqual(floats.count, 103)
        XCTAssertNil(floats["embeddings.position_ids"])
        XCTAssertEqual(floats["pooler.dense.weight"]?.shape, [384, 384])
        let everything = try file.allFloatTensors(includeIntegers: true)
        XCTAssertEqual(everything.count, 104)
        XCTAssertEqual(everything["embeddings.position_ids"]?.values.last, 511)
    }

    // MARK: round trips

    /// Tensors covering the awkward cases: NaN with payload, signed zeros, infinities, subnormals,
    /// a scalar, an empty tensor, a non-ASCII name and one that needs JSON escaping.
    private func awkwardTensors() -> [(name: String, tensor: Tensor)] {
        var random = SplitMix64(seed: 7)
        let specials: [UInt32] = [0x7FC0_0001, 0xFFA0_0000, 0x8000_0000, 0x0000_0000, 0x7F80_0000,
                                  0xFF80_0000, 0x0000_0001, 0x807F_FFFF, 0x7F7F_FFFF, 0x3F80_0000]
        let randomBits = (0..<60).map { _ in UInt32(truncatingIfNeeded: random.next()) }
        return [
            ("layer.weight", Tensor(shape: [10, 7], values: (specials + randomBits).map(Float.init(bitPattern:)))),
            ("a.bias", Tensor(shape: [3], values: [1.5, -2.25, 1e-40])),
            ("scalar", Tensor(scalar: 0.1)),
            ("empty", Tensor(zeros: [0, 4])),
            ("gewicht.größe\u{1F600}", Tensor(shape: [2, 1], values: [3, 4])),
            ("quote\"back\\slash\nnewline\u{01}", Tensor(shape: [1], values: [-7])),
        ]
    }

    func testWriteThenReadIsBitIdentical() throws {
        let tensors = awkwardTensors()
        let url = folder.appendingPathComponent("round.safetensors")
        try SafeTensors.write(tensors, metadata: ["format": "pt", "note": "ünïcode \"quoted\""], to: url)

        let file = try SafeTensorsFile(contentsOf: url)
        XCTAssertEqual(file.metadata, ["format": "pt", "note": "ünïcode \"quoted\""])
        // Written sorted by UTF-8 bytes; the empty tensor sits at the same offset as the next one
        // and comes first by header order.
        XCTAssertEqual(file.names, tensors.map(\.name).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        XCTAssertEqual(file.dataStart % 8, 0, "header padded to a multiple of 8")
        for (name, tensor) in tensors {
            let info = try file.info(named: name)
            XCTAssertEqual(info.dtype, .f32)
            XCTAssertEqual(info.shape, tensor.shape, name)
            let read = try file.tensor(named: name)
            XCTAssertEqual(read.shape, tensor.shape, name)
            XCTAssertEqual(bits(read), bits(tensor), name)
        }
        // No temporary file left behind.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["round.safetensors"])
    }

    func testReadThenWriteGivesIdenticalBytes() throws {
        let first = folder.appendingPathComponent("first.safetensors")
        let second = folder.appendingPathComponent("second.safetensors")
        try SafeTensors.write(awkwardTensors(), metadata: ["format": "pt"], to: first)
        let read = try SafeTensorsFile(contentsOf: first)
        // Through the dictionary (order lost) and back: sorting makes the bytes the same.
        let loaded = try read.allFloatTensors().map { (name: $0.key, tensor: $0.value) }
        try SafeTensors.write(loaded, metadata: read.metadata, to: second)
        XCTAssertEqual(try Data(contentsOf: first), try Data(contentsOf: second))
        // Writing over an existing file replaces it.
        try SafeTensors.write(loaded.reversed(), metadata: read.metadata, to: second)
        XCTAssertEqual(try Data(contentsOf: first), try Data(contentsOf: second))
    }

    /// The writer's bytes, spelled out from the format description.
    func testWriterLayoutMatchesTheFormat() throws {
        let url = folder.appendingPathComponent("layout.safetensors")
        try SafeTensors.write([("b", Tensor(shape: [2], values: [1, -2])), ("a", Tensor(scalar: 0.5))],
                              metadata: ["format": "pt"], to: url)
        let header = #"{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"#
            + #""b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        XCTAssertEqual(header.utf8.count, 138)  // padded with 6 spaces to 144
        let expected = littleEndianBytes(UInt64(144)) + Array(header.utf8) + [UInt8](repeating: 0x20, count: 6)
            + [0x00, 0x00, 0x00, 0x3F]  // 0.5 = 0x3F000000
            + [0x00, 0x00, 0x80, 0x3F] + [0x00, 0x00, 0x00, 0xC0]  // 1 = 0x3F800000, -2 = 0xC0000000
        XCTAssertEqual(Array(try Data(contentsOf: url)), expected)

        // Without metadata there is no __metadata__ key.
        try SafeTensors.write([("x", Tensor(shape: [1], values: [0]))], metadata: nil, to: url)
        let plain = #"{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#  // 54 bytes, padded to 56
        XCTAssertEqual(Array(try Data(contentsOf: url)), littleEndianBytes(UInt64(56)) + Array(plain.utf8) + [0x20, 0x20, 0, 0, 0, 0])
    }

    // MARK: dtypes

    func testFloat16Decoding() throws {
        // (half bits, float32 bits): IEEE 754 binary16 -> binary32 by hand.
        let cases: [(UInt16, UInt32)] = [
            (0x0000, 0x0000_0000),  // +0
            (0x8000, 0x8000_0000),  // -0
            (0x3C00, 0x3F80_0000),  // 1
            (0xC000, 0xC000_0000),  // -2
            (0x3555, 0x3EAA_A000),  // 0.333251953125
            (0x7BFF, 0x477F_E000),  // 65504, largest half
            (0x0400, 0x3880_0000),  // 2^-14, smallest normal
            (0x0001, 0x3380_0000),  // 2^-24, smallest subnormal
            (0x8001, 0xB380_0000),  // -2^-24
            (0x0200, 0x3800_0000),  // 2^-15, subnormal
            (0x03FF, 0x387F_C000),  // 1023 * 2^-24, largest subnormal
            (0x7C00, 0x7F80_0000),  // +inf
            (0xFC00, 0xFF80_0000),  // -inf
            (0x7E00, 0x7FC0_0000),  // quiet NaN
            (0xFE01, 0xFFC0_2000),  // negative quiet NaN with payload
            (0x7C01, 0x7F80_2000),  // signalling NaN, payload kept
        ]
        let url = try handMadeFile("f16.safetensors",
                                   header: #"{"h": {"dtype": "F16", "shape": [16], "data_offsets": [0, 32]}}"#,
                                   data: littleEndianBytes(cases.map(\.0)))
        let decoded = try SafeTensorsFile(contentsOf: url).tensor(named: "h")
        XCTAssertEqual(decoded.shape, [16])
        for (i, (half, expected)) in cases.enumerated() {
            XCTAssertEqual(decoded[flat: i].bitPattern, expected, "half 0x\(String(half, radix: 16))")
        }
        XCTAssertEqual(decoded[flat: 7], 5.9604644775390625e-08)
        XCTAssertTrue(decoded[flat: 13].isNaN)
    }

    #if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
    /// All 65536 half values against Swift's own Float16 (compiler-rt / F16C), NaNs by sign only.
    func testFloat16DecodingMatchesSwiftFloat16Everywhere() {
        for raw in 0...UInt16.max {
            let reference = Float(Float16(bitPattern: raw))
            let ours = floatFromHalfBits(raw)
            if reference.isNaN {
                XCTAssertTrue(ours.isNaN && ours.sign == reference.sign, "0x\(String(raw, radix: 16))")
            } else {
                XCTAssertEqual(ours.bitPattern, reference.bitPattern, "0x\(String(raw, radix: 16))")
            }
        }
    }
    #endif

    func testBFloat16Decoding() throws {
        let cases: [(UInt16, Float)] = [
            (0x3F80, 1), (0xBF80, -1), (0x4049, 3.140625), (0x0000, 0), (0x8000, -0.0),
            (0x7F80, .infinity), (0xFF80, -.infinity),
            (0x7F7F, 3.3895313892515355e38),  // largest finite bfloat16
            (0x0080, 1.1754943508222875e-38),  // smallest normal (2^-126)
            (0x0001, 9.183549615799121e-41),  // smallest subnormal (2^-133)
        ]
        let nan: UInt16 = 0x7FC1
        // Misaligned on purpose: header of 61 bytes, so the data starts at file offset 69.
        let header = #"{"b":{"dtype":"BF16","shape":[11],"data_offsets":[0,22]}}    "#
        XCTAssertEqual(header.utf8.count % 2, 1)
        let url = try handMadeFile("bf16.safetensors", header: header, data: littleEndianBytes(cases.map(\.0) + [nan]))
        let decoded = try SafeTensorsFile(contentsOf: url).tensor(named: "b")
        for (i, (raw, expected)) in cases.enumerated() {
            XCTAssertEqual(decoded[flat: i].bitPattern, expected.bitPattern, "bf16 0x\(String(raw, radix: 16))")
        }
        XCTAssertEqual(decoded[flat: 10].bitPattern, 0x7FC1_0000)
    }

    func testMisalignedFloat32AndIntegers() throws {
        // Header of 223 bytes (odd): every element is read unaligned.
        let header = #"{"f":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"#
            + #""i32":{"dtype":"I32","shape":[3],"data_offsets":[8,20]},"#
            + #""i64":{"dtype":"I64","shape":[2],"data_offsets":[20,36]},"u8":{"dtype":"U8","shape":[2],"data_offsets":[36,38]}} "#
        XCTAssertEqual(header.utf8.count % 2, 1)
        let data = littleEndianBytes([UInt32(0x3FC0_0000), 0xC120_0000])  // 1.5, -10
            + littleEndianBytes([Int32(-5), Int32.max, 0])
            + littleEndianBytes([Int64(1) << 40, -1])
            + [200, 7]
        let url = try handMadeFile("ints.safetensors", header: header, data: data)
        let file = try SafeTensorsFile(contentsOf: url)
        XCTAssertEqual(try file.tensor(named: "f").values, [1.5, -10])
        XCTAssertEqual(try file.int32Values(named: "i32"), [-5, Int32.max, 0])
        XCTAssertEqual(try file.int64Values(named: "i32"), [-5, Int64(Int32.max), 0])
        XCTAssertEqual(try file.int64Values(named: "i64"), [1 << 40, -1])
        XCTAssertEqual(try file.int32Values(named: "u8"), [200, 7])
        XCTAssertEqual(safeTensorsError { try file.int32Values(named: "i64") },
                       .integerOutOfRange(path: url.path, tensor: "i64", index: 0, wanted: "Int32"))
        XCTAssertEqual(safeTensorsError { try file.int64Values(named: "f") },
                       .unsupportedConversion(path: url.path, tensor: "f", dtype: .f32, wanted: "Int64"))
        XCTAssertEqual(safeTensorsError { try file.allFloatTensors(includeIntegers: true) },
                       .integerOutOfRange(path: url.path, tensor: "i32", index: 1, wanted: "Float32 exactly"))
        XCTAssertEqual(Set(try file.allFloatTensors().keys), ["f"])
        XCTAssertEqual(file.names, ["f", "i32", "i64", "u8"])
    }

    // MARK: one test per error

    func testFileShorterThanEightBytes() throws {
        let short = try rawFile("short.safetensors", [1, 0, 0, 0, 0])
        assertOpenFails(short, .fileTooShort(path: short.path, size: 5))
        let empty = try rawFile("empty.safetensors", [])
        assertOpenFails(empty, .fileTooShort(path: empty.path, size: 0))
    }

    func testHeaderTooLarge() throws {
        let url = try rawFile("huge.safetensors", littleEndianBytes(UInt64(200_000_000)) + Array("{}".utf8))
        assertOpenFails(url, .headerTooLarge(path: url.path, headerLength: 200_000_000, limit: 100_000_000))
        let maximal = try rawFile("max.safetensors", littleEndianBytes(UInt64.max) + Array("{}".utf8))
        assertOpenFails(maximal, .headerTooLarge(path: maximal.path, headerLength: .max, limit: 100_000_000))
    }

    func testHeaderPastEndOfFile() throws {
        let url = try rawFile("past.safetensors", littleEndianBytes(UInt64(100)) + Array(#"{"a":1}"#.utf8))
        assertOpenFails(url, .headerPastEndOfFile(path: url.path, headerLength: 100, fileSize: 15))
    }

    func testHeaderNotUTF8() throws {
        // 0xC3 0x28: a lead byte followed by a non-continuation byte, at header offset 3.
        let url = try rawFile("utf8.safetensors", littleEndianBytes(UInt64(8)) + [0x7B, 0x22, 0x61, 0xC3, 0x28, 0x22, 0x7D, 0x20])
        assertOpenFails(url, .headerNotUTF8(path: url.path, byteOffset: 11))
        // An overlong encoding of '/' is not UTF-8 either.
        let overlong = try rawFile("overlong.safetensors", littleEndianBytes(UInt64(6)) + [0x7B, 0x22, 0xC0, 0xAF, 0x22, 0x7D])
        assertOpenFails(overlong, .headerNotUTF8(path: overlong.path, byteOffset: 10))
    }

    func testHeaderNotJSON() throws {
        let url = try handMadeFile("json.safetensors", header: #"{"a": {"dtype": "F32",}"#)
        let error = safeTensorsError { try SafeTensorsFile(contentsOf: url) }
        guard case let .invalidJSON(path, offset, _) = error else { return XCTFail("got \(String(describing: error))") }
        XCTAssertEqual(path, url.path)
        XCTAssertEqual(offset, 8 + 22)  // the '}' after the trailing comma
        XCTAssertTrue(error!.description.contains(url.path))
        for bad in ["", "{", #"{"a":01}"#, #"{"a":"\x"}"#, #"{"a":"\ud800"}"#, "{} x", String(repeating: "[", count: 10_000)] {
            let badURL = try handMadeFile("bad.safetensors", header: bad)
            let badError = safeTensorsError { try SafeTensorsFile(contentsOf: badURL) }
            guard case .invalidJSON = badError else { return XCTFail("\(bad.prefix(20)): got \(String(describing: badError))") }
        }
    }

    func testHeaderNotAnObject() throws {
        let url = try handMadeFile("list.safetensors", header: "[1, 2]")
        assertOpenFails(url, .headerNotObject(path: url.path))
    }

    func testEntryMissingKey() throws {
        let url = try handMadeFile("missing.safetensors", header: #"{"w": {"dtype": "F32", "shape": [1]}}"#, data: [0, 0, 0, 0])
        assertOpenFails(url, .missingKey(path: url.path, tensor: "w", key: "data_offsets"), tensor: "w")
    }

    func testEntryWithWrongKindOfValue() throws {
        let shape = try handMadeFile("shape.safetensors", header: #"{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#)
        assertOpenFails(shape, .invalidEntry(path: shape.path, tensor: "w", key: "shape",
                                             reason: "is not a list of non-negative integers"), tensor: "w")
        let entry = try handMadeFile("entry.safetensors", header: #"{"w":[1]}"#)
        assertOpenFails(entry, .invalidEntry(path: entry.path, tensor: "w", key: "w", reason: "is a list, not an object"), tensor: "w")
        let offsets = try handMadeFile("offsets.safetensors", header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0.0,4]}}"#)
        assertOpenFails(offsets, .invalidEntry(path: offsets.path, tensor: "w", key: "data_offsets",
                                               reason: "is not a list of two non-negative integers"), tensor: "w")
    }

    func testInvalidMetadata() throws {
        let url = try handMadeFile("meta.safetensors", header: #"{"__metadata__":{"format":1}}"#)
        assertOpenFails(url, .invalidMetadata(path: url.path, reason: "key \"format\" holds a number, not a string"))
    }

    func testDuplicateTensorName() throws {
        let url = try handMadeFile("dup.safetensors", header: #"{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"#
            + #""w":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}"#, data: [1, 2])
        assertOpenFails(url, .duplicateTensor(path: url.path, tensor: "w"), tensor: "w")
    }

    func testUnknownDType() throws {
        let url = try handMadeFile("dtype.safetensors", header: #"{"w":{"dtype":"F12","shape":[1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0])
        assertOpenFails(url, .unknownDType(path: url.path, tensor: "w", dtype: "F12"), tensor: "w")
    }

    func testOffsetsOutsideDataSection() throws {
        let url = try handMadeFile("outside.safetensors", header: #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#,
                                   data: [UInt8](repeating: 0, count: 8))
        assertOpenFails(url, .offsetsOutOfBounds(path: url.path, tensor: "w", begin: 4, end: 12, dataSize: 8), tensor: "w")
        let huge = try handMadeFile("hugeoffset.safetensors",
                                    header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[18446744073709551611,18446744073709551615]}}"#)
        assertOpenFails(huge, .offsetsOutOfBounds(path: huge.path, tensor: "w", begin: UInt64.max - 4, end: .max, dataSize: 0), tensor: "w")
    }

    func testOffsetsEndBeforeBegin() throws {
        let url = try handMadeFile("reversed.safetensors", header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}"#,
                                   data: [UInt8](repeating: 0, count: 8))
        assertOpenFails(url, .reversedOffsets(path: url.path, tensor: "w", begin: 8, end: 4), tensor: "w")
    }

    func testOverlappingTensors() throws {
        let url = try handMadeFile("overlap.safetensors", header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"#
            + #""b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: [UInt8](repeating: 0, count: 8))
        assertOpenFails(url, .overlappingTensors(path: url.path, tensor: "b", other: "a"), tensor: "b")
        // A tensor inside another one that is not its immediate predecessor.
        let nested = try handMadeFile("nested.safetensors", header: #"{"big":{"dtype":"U8","shape":[10],"data_offsets":[0,10]},"#
            + #""x":{"dtype":"U8","shape":[1],"data_offsets":[2,3]},"y":{"dtype":"U8","shape":[1],"data_offsets":[5,6]}}"#,
            data: [UInt8](repeating: 0, count: 10))
        assertOpenFails(nested, .overlappingTensors(path: nested.path, tensor: "x", other: "big"), tensor: "x")
        // Empty tensors overlap nothing, and a gap is allowed.
        let fine = try handMadeFile("fine.safetensors", header: #"{"a":{"dtype":"F32","shape":[0],"data_offsets":[4,4]},"#
            + #""b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"c":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#,
            data: [UInt8](repeating: 0, count: 12))
        XCTAssertEqual(try SafeTensorsFile(contentsOf: fine).names, ["b", "a", "c"])
    }

    func testShapeDisagreesWithByteLength() throws {
        let url = try handMadeFile("length.safetensors", header: #"{"w":{"dtype":"F16","shape":[2,3],"data_offsets":[0,8]}}"#,
                                   data: [UInt8](repeating: 0, count: 8))
        assertOpenFails(url, .byteLengthMismatch(path: url.path, tensor: "w", shape: [2, 3], dtype: .f16, expected: 12, actual: 8),
                        tensor: "w")
        // An element count that overflows Int must not trap.
        let overflow = try handMadeFile("overflow.safetensors",
                                        header: #"{"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}}"#)
        assertOpenFails(overflow, .byteLengthMismatch(path: overflow.path, tensor: "w", shape: [1 << 32, 1 << 32], dtype: .f32,
                                                      expected: nil, actual: 0), tensor: "w")
    }

    func testMissingFileAndDirectory() {
        let missing = folder.appendingPathComponent("nope.safetensors")
        guard case .cannotOpen(let path, _) = safeTensorsError({ try SafeTensorsFile(contentsOf: missing) }) else {
            return XCTFail("expected cannotOpen")
        }
        XCTAssertEqual(path, missing.path)
        XCTAssertEqual(safeTensorsError { try SafeTensorsFile(contentsOf: self.folder) },
                       .cannotOpen(path: folder.path, reason: "not a regular file"))
    }

    func testLookupErrors() throws {
        let url = folder.appendingPathComponent("small.safetensors")
        try SafeTensors.write([("w", Tensor(shape: [1], values: [1]))], to: url)
        let file = try SafeTensorsFile(contentsOf: url)
        XCTAssertEqual(safeTensorsError { try file.tensor(named: "v") }, .tensorNotFound(path: url.path, tensor: "v"))
        XCTAssertEqual(safeTensorsError { try file.int32Values(named: "w") },
                       .unsupportedConversion(path: url.path, tensor: "w", dtype: .f32, wanted: "Int32"))
    }

    func testWriterRejectsBadNamesAndFolders() throws {
        let url = folder.appendingPathComponent("bad.safetensors")
        let one = Tensor(shape: [1], values: [1])
        XCTAssertEqual(safeTensorsError { try SafeTensors.write([("w", one), ("w", one)], to: url) },
                       .invalidTensorName(path: url.path, tensor: "w", reason: "the name is used twice"))
        XCTAssertEqual(safeTensorsError { try SafeTensors.write([("__metadata__", one)], to: url) },
                       .invalidTensorName(path: url.path, tensor: "__metadata__", reason: "the name is reserved for metadata"))
        let nowhere = folder.appendingPathComponent("no/such/folder/x.safetensors")
        guard case .writeFailed(let path, _) = safeTensorsError({ try SafeTensors.write([("w", one)], to: nowhere) }) else {
            return XCTFail("expected writeFailed")
        }
        XCTAssertEqual(path, nowhere.path)
        XCTAssertFalse(FileManager.default.fileExists(atPath: url.path))
    }

    /// Truncations and random byte changes of a valid file: each either opens (and then every
    /// tensor reads) or throws a SafeTensorsError. A crash fails the whole run.
    func testNeverCrashesOnDamagedFiles() throws {
        let url = folder.appendingPathComponent("valid.safetensors")
        try SafeTensors.write(awkwardTensors(), metadata: ["format": "pt"], to: url)
        let valid = Array(try Data(contentsOf: url))
        var random = SplitMix64(seed: 2024)
        var variants: [[UInt8]] = (0..<valid.count).map { Array(valid.prefix($0)) }
        for _ in 0..<2000 {
            var damaged = valid
            for _ in 0..<Int(random.next() % 4 + 1) {
                let index = Int(random.next() % UInt64(damaged.count))
                // Mostly the header: that is where damage can mislead a reader.
                let target = random.next() % 4 == 0 ? index : index % min(damaged.count, 8 + 400)
                damaged[target] = UInt8(truncatingIfNeeded: random.next())
            }
            variants.append(damaged)
        }
        var opened = 0
        for (i, bytes) in variants.enumerated() {
            let damagedURL = try rawFile("damaged.safetensors", bytes)
            do {
                let file = try SafeTensorsFile(contentsOf: damagedURL)
                opened += 1
                for info in file.tensorInfos {
                    if info.dtype.isWidenableFloat {
                        XCTAssertEqual(try file.tensor(named: info.name).count, info.elementCount)
                    } else if info.dtype.isInteger {
                        XCTAssertEqual(try file.int64Values(named: info.name).count, info.elementCount)
                    }
                }
            } catch is SafeTensorsError {
                continue
            } catch {
                XCTFail("variant \(i): unexpected error type \(error)")
            }
        }
        XCTAssertGreaterThan(opened, 1, "some damage (inside tensor data) must still open")
    }
}
