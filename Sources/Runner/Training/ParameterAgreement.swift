import Distributed
import Foundation
import Tensor

/// Data-parallel training keeps one model on every rank: each starts from the same weights and
/// applies the same summed gradients. This checks it, by a hash of every parameter's bits that
/// the ranks compare, at the start of training (a model folder that differs between hosts) and
/// at its end.
enum ParameterAgreement {
    static func hash(_ parameters: [Tensor]) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for p in parameters {
            let words = p.count / 2
            p.data.withMemoryRebound(to: UInt64.self, capacity: max(words, 1)) { w in
                var acc: UInt64 = 0
                for i in 0..<words { acc = (acc &+ w[i]) &* 0x100_0000_01B3 ^ (acc >> 29) }
                h = (h ^ acc) &* 0x100_0000_01B3
            }
            if p.count % 2 == 1 { h = (h ^ UInt64(p.data[p.count - 1].bitPattern)) &* 0x100_0000_01B3 }
        }
        return h
    }

    /// Throws, naming the ranks, when some rank's parameters differ from rank 0's.
    static func check(_ parameters: [Tensor], on ranks: Communicator, when: String) throws {
        var own = hash(parameters)
        let all = ranks.allGather(withUnsafeBytes(of: &own) { Array($0) })
        let hashes = all.map { bytes in bytes.withUnsafeBytes { $0.load(as: UInt64.self) } }
        let differing = hashes.indices.filter { hashes[$0] != hashes[0] }
        if !differing.isEmpty {
            throw CLIError("the parameters of rank\(differing.count > 1 ? "s" : "") \(differing.map(String.init).joined(separator: ", ")) differ from rank 0's \(when); every rank must load the same model folder")
        }
    }
}
