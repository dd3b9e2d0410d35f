import Foundation
import Tensor

/// safetensors: whatever opens is read in full, written back with BertKit's writer and read
/// again: the same names, shapes and values (bit for bit; F16 and BF16 widen to F32 exactly).
enum SafeTensorsTargets {
    static let all = [header, file]

    /// The bytes are the JSON header, framed by a correct length prefix and followed by a data
    /// section of 256 bytes, so that mutations stay in the JSON instead of the framing.
    static let header = FuzzTarget("safetensors-header", "bytes as the JSON header of a file with 256 data bytes; write -> read round trip") { bytes in
        var file = withUnsafeBytes(of: UInt64(bytes.count).littleEndian) { Array($0) }
        file += bytes
        file += (0..<256).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        try roundTrip(file, in: "safetensors-header")
    }

    static let file = FuzzTarget("safetensors-file", "bytes as a whole .safetensors file; write -> read round trip") { bytes in
        try roundTrip(bytes, in: "safetensors-file")
    }

    static func roundTrip(_ bytes: [UInt8], in name: String) throws {
        let folder = Scratch.folder(name)
        let url = Scratch.write(bytes, as: "model.safetensors", in: folder)
        let original = try SafeTensorsFile(contentsOf: url)
        var tensors: [(name: String, tensor: Tensor)] = []
        for info in original.tensorInfos {
            try require(info.byteCount == info.elementCount * info.dtype.byteSize, "\(info.name): \(info.byteCount) bytes for \(info.shape)")
            if info.dtype.isWidenableFloat {
                tensors.append((info.name, try original.tensor(named: info.name)))
            } else if info.dtype.isInteger {
                _ = try original.int64Values(named: info.name)
            }
        }
        // From here on the file was accepted: any error is a broken round trip, not a refusal.
        do {
            let copy = folder.appendingPathComponent("copy.safetensors")
            try SafeTensors.write(tensors, metadata: original.metadata, to: copy)
            let reread = try SafeTensorsFile(contentsOf: copy)
            try require(reread.metadata == original.metadata, "metadata \(original.metadata) read back as \(reread.metadata)")
            try require(Set(reread.names) == Set(tensors.map(\.name)), "names \(tensors.map(\.name)) read back as \(reread.names)")
            for (name, tensor) in tensors {
                let back = try reread.tensor(named: name)
                try require(back.shape == tensor.shape, "\(name): shape \(tensor.shape) read back as \(back.shape)")
                try require(back.values.map(\.bitPattern) == tensor.values.map(\.bitPattern), "\(name): values differ after the round trip")
            }
        } catch let failure as FuzzFailure {
            throw failure
        } catch {
            throw FuzzFailure(message: "an accepted file does not round-trip: \(error)")
        }
    }
}
