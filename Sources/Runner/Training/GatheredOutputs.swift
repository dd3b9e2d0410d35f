import Distributed
import Foundation
import Tasks

/// Evaluation on several ranks: each predicts its share of the batches, then every rank gets
/// every feature's outputs, in feature order, and the loss summed over all. The outputs travel as
/// bytes: per feature, its index and its named float arrays (the layout below, native byte order:
/// the ranks of a job run the same build on the same kind of CPU).
enum GatheredOutputs {
    static func gather(_ outputs: [Int: FeatureOutput], count: Int, on ranks: Communicator) -> [FeatureOutput] {
        var bytes: [UInt8] = []
        func put<T>(_ value: T) { withUnsafeBytes(of: value) { bytes.append(contentsOf: $0) } }
        for (index, output) in outputs {
            put(Int64(index))
            put(Int64(output.values.count))
            for (name, values) in output.values.sorted(by: { $0.key < $1.key }) {
                let utf8 = Array(name.utf8)
                put(Int64(utf8.count))
                bytes.append(contentsOf: utf8)
                put(Int64(values.count))
                values.withUnsafeBytes { bytes.append(contentsOf: $0) }
            }
        }
        var gathered = [FeatureOutput?](repeating: nil, count: count)
        for part in ranks.allGather(bytes) {
            part.withUnsafeBytes { raw in
                var cursor = 0
                func take<T>(_: T.Type) -> T {
                    defer { cursor += MemoryLayout<T>.size }
                    return raw.loadUnaligned(fromByteOffset: cursor, as: T.self)
                }
                while cursor < raw.count {
                    let index = Int(take(Int64.self))
                    var values: [String: [Float]] = [:]
                    for _ in 0..<Int(take(Int64.self)) {
                        let nameLength = Int(take(Int64.self))
                        let name = String(decoding: raw[cursor..<(cursor + nameLength)], as: UTF8.self)
                        cursor += nameLength
                        let n = Int(take(Int64.self))
                        // one copy of the bytes, not a load per float (a masked LM's outputs are long)
                        values[name] = [Float](unsafeUninitializedCapacity: n) { buffer, initialized in
                            UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[cursor..<(cursor + n * 4)]))
                            initialized = n
                        }
                        cursor += n * 4
                    }
                    gathered[index] = FeatureOutput(values: values)
                }
            }
        }
        return gathered.enumerated().map { index, output in
            guard let output else { fatalError("bertkit: no rank predicted feature \(index)") }
            return output
        }
    }

    /// The metrics rank 0 computed, on every rank (for the best checkpoint and early stopping,
    /// which every rank decides alike). NaN and infinities travel as their bits.
    static func broadcast(_ metrics: [String: Double], on ranks: Communicator) -> [String: Double] {
        var bytes: [UInt8] = []
        if ranks.isRoot {
            for (name, value) in metrics.sorted(by: { $0.key < $1.key }) {
                let utf8 = Array(name.utf8)
                withUnsafeBytes(of: Int64(utf8.count)) { bytes.append(contentsOf: $0) }
                bytes.append(contentsOf: utf8)
                withUnsafeBytes(of: value.bitPattern) { bytes.append(contentsOf: $0) }
            }
        }
        let received = ranks.broadcast(bytes)
        var result: [String: Double] = [:]
        received.withUnsafeBytes { raw in
            var cursor = 0
            while cursor < raw.count {
                let length = Int(raw.loadUnaligned(fromByteOffset: cursor, as: Int64.self))
                cursor += 8
                let name = String(decoding: raw[cursor..<(cursor + length)], as: UTF8.self)
                cursor += length
                result[name] = Double(bitPattern: raw.loadUnaligned(fromByteOffset: cursor, as: UInt64.self))
                cursor += 8
            }
        }
        return result
    }
}
