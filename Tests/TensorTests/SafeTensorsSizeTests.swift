import Foundation
import XCTest
@testable import Tensor

/// Headers that ask for absurd sizes: refused on open, naming the file and the tensor, before any
/// tensor is allocated; nothing traps. (SafeTensorsTests has one test per error; these are the
/// sizes of issue 25: a 2^64-element tensor, dimensions past Int, an empty tensor whose other
/// dimensions overflow, offsets and header lengths past the file.)
final class SafeTensorsSizeTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("SafeTensorsSizeTests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    /// u64 little-endian header length, the header text, then `dataBytes` zero bytes.
    private func file(_ header: String, dataBytes: Int = 0, headerLength: UInt64? = nil) throws -> URL {
        let json = Array(header.utf8)
        let length = headerLength ?? UInt64(json.count)
        let url = folder.appendingPathComponent("sizes-\(UUID().uuidString).safetensors")
        try Data(withUnsafeBytes(of: length.littleEndian) { Array($0) } + json + [UInt8](repeating: 0, count: dataBytes)).write(to: url)
        return url
    }

    /// Opening `url` throws `expected`, and its message names the file and `tensor`.
    private func assertRefused(_ url: URL, _ expected: SafeTensorsError, tensor: String?, message: String,
                               file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try SafeTensorsFile(contentsOf: url), file: file, line: line) { error in
            XCTAssertEqual(error as? SafeTensorsError, expected, file: file, line: line)
            XCTAssertEqual("\(error)", "\(url.path): " + message, file: file, line: line)
            if let tensor { XCTAssertTrue("\(error)".contains("'\(tensor)'"), file: file, line: line) }
        }
    }

    func testATwoToThe64ElementTensorIsRefused() throws {
        // 2^32 x 2^32 elements; the file holds 16 bytes and the offsets say so
        let url = try file(#"{"huge":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,16]}}"#, dataBytes: 16)
        assertRefused(url, .byteLengthMismatch(path: url.path, tensor: "huge", shape: [1 << 32, 1 << 32], dtype: .f32, expected: nil, actual: 16),
                      tensor: "huge", message: "tensor 'huge' of shape [4294967296, 4294967296] and dtype F32 needs more bytes than "
                        + "can be addressed, but its data_offsets span 16 bytes")
        // elements that fit an Int, bytes that do not
        let bytes = try file(#"{"w":{"dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,8]}}"#, dataBytes: 8)
        assertRefused(bytes, .byteLengthMismatch(path: bytes.path, tensor: "w", shape: [1 << 61], dtype: .f64, expected: nil, actual: 8),
                      tensor: "w", message: "tensor 'w' of shape [2305843009213693952] and dtype F64 needs more bytes than "
                        + "can be addressed, but its data_offsets span 8 bytes")
    }

    func testDimensionsPastIntAreRefusedByValue() throws {
        let twoTo64 = try file(#"{"w":{"dtype":"U8","shape":[18446744073709551616],"data_offsets":[0,0]}}"#)
        assertRefused(twoTo64, .invalidEntry(path: twoTo64.path, tensor: "w", key: "shape",
                                             reason: "has dimension 1.8446744073709552e+19, more than a 64-bit signed integer holds"),
                      tensor: "w", message: "tensor 'w': \"shape\" has dimension 1.8446744073709552e+19, more than a 64-bit signed integer holds")
        let twoTo63 = try file(#"{"w":{"dtype":"U8","shape":[1,9223372036854775808],"data_offsets":[0,0]}}"#)
        assertRefused(twoTo63, .invalidEntry(path: twoTo63.path, tensor: "w", key: "shape",
                                             reason: "has dimension 9223372036854775808, more than a 64-bit signed integer holds"),
                      tensor: "w", message: "tensor 'w': \"shape\" has dimension 9223372036854775808, more than a 64-bit signed integer holds")
        let negative = try file(#"{"w":{"dtype":"U8","shape":[-1],"data_offsets":[0,0]}}"#)
        assertRefused(negative, .invalidEntry(path: negative.path, tensor: "w", key: "shape", reason: "is not a list of non-negative integers"),
                      tensor: "w", message: "tensor 'w': \"shape\" is not a list of non-negative integers")
    }

    func testAnEmptyTensorWhoseOtherDimensionsOverflowIsRefused() throws {
        // zero bytes, so the byte length agreed; Tensor.elementCount then trapped on 2^32 x 2^32
        let url = try file(#"{"e":{"dtype":"F32","shape":[4294967296,4294967296,0],"data_offsets":[0,0]}}"#)
        assertRefused(url, .shapeTooLarge(path: url.path, tensor: "e", shape: [1 << 32, 1 << 32, 0]), tensor: "e",
                      message: "tensor 'e' has shape [4294967296, 4294967296, 0], whose non-zero dimensions multiply past a 64-bit count")
        // an empty tensor of sane dimensions still reads
        let fine = try file(#"{"e":{"dtype":"F32","shape":[3,0,5],"data_offsets":[0,0]}}"#)
        let opened = try SafeTensorsFile(contentsOf: fine)
        XCTAssertEqual(try opened.tensor(named: "e").shape, [3, 0, 5])
        XCTAssertEqual(opened.totalElementCount, 0)
    }

    func testOffsetsAndHeaderLengthsPastTheFileAreRefused() throws {
        let past = try file(#"{"w":{"dtype":"F32","shape":[1000000000],"data_offsets":[0,4000000000]}}"#, dataBytes: 16)
        assertRefused(past, .offsetsOutOfBounds(path: past.path, tensor: "w", begin: 0, end: 4_000_000_000, dataSize: 16), tensor: "w",
                      message: "tensor 'w' has data_offsets [0, 4000000000] outside the 16-byte data section")
        // offsets inside the file that disagree with shape x dtype size
        let short = try file(#"{"w":{"dtype":"F32","shape":[1000],"data_offsets":[0,16]}}"#, dataBytes: 16)
        assertRefused(short, .byteLengthMismatch(path: short.path, tensor: "w", shape: [1000], dtype: .f32, expected: 4000, actual: 16),
                      tensor: "w", message: "tensor 'w' of shape [1000] and dtype F32 needs 4000 bytes, but its data_offsets span 16 bytes")
        let header = #"{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}"#
        let longHeader = try file(header, dataBytes: 1, headerLength: 1 << 20)
        let size = 8 + header.utf8.count + 1
        assertRefused(longHeader, .headerPastEndOfFile(path: longHeader.path, headerLength: 1 << 20, fileSize: size), tensor: nil,
                      message: "safetensors header length 1048576 bytes runs past the end of the \(size)-byte file")
        // ranges that overlap, listed out of order
        let overlap = try file(#"{"b":{"dtype":"U8","shape":[8],"data_offsets":[4,12]},"a":{"dtype":"U8","shape":[8],"data_offsets":[0,8]}}"#,
                               dataBytes: 12)
        assertRefused(overlap, .overlappingTensors(path: overlap.path, tensor: "b", other: "a"), tensor: "b",
                      message: "tensor 'b' overlaps tensor 'a' in the data section")
    }

    func testTotalElementCountIsEveryTensorsValues() throws {
        let url = folder.appendingPathComponent("count.safetensors")
        try SafeTensors.write([("a", Tensor(zeros: [3, 4])), ("b", Tensor(zeros: [5]))], to: url)
        XCTAssertEqual(try SafeTensorsFile(contentsOf: url).totalElementCount, 17)
    }
}
