import Foundation
import Runner
import Tensor

/// A checkpoint's trainer_state/ as `bertkit run --resume` reads it: state.json, then (after a
/// NUL byte, if any) optimizer.safetensors, else a valid one for the optimizer below. What a
/// resume accepts must be a state training can continue from: counters that are not negative.
enum TrainerStateTarget {
    static let target = FuzzTarget(
        "trainer-state", "state.json [NUL optimizer.safetensors] in last/trainer_state -> resume checks; counters not negative"
    ) { bytes in
        let task = Scratch.folder("trainer-state")
        let folder = task.appendingPathComponent("last/trainer_state")
        try! FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let (state, moments) = splitAtFirstNUL(bytes)
        Scratch.write(state, as: "state.json", in: folder)
        Scratch.write(moments ?? validMoments, as: "optimizer.safetensors", in: folder)
        let (globalStep, epoch, stepInEpoch) = try ResumeCheck.readLast(of: task, into: optimizer())
        try require(globalStep >= 0 && epoch >= 0 && stepInEpoch >= 0,
                    "a resume accepted global step \(globalStep), epoch \(epoch), step in epoch \(stepInEpoch)")
    }

    /// An optimizer over two small parameters, as fresh for every input (a load changes it).
    static func optimizer() -> AdamW {
        AdamW(parameters: [("classifier.weight", Tensor(zeros: [2, 3])), ("classifier.bias", Tensor(zeros: [2]))], weightDecay: 0.01)
    }

    /// optimizer.safetensors as that optimizer saves it.
    static let validMoments: [UInt8] = {
        let url = Scratch.root.appendingPathComponent("optimizer.safetensors")
        try! SafeTensors.write(optimizer().state().moments, to: url)
        return Array(FileManager.default.contents(atPath: url.path)!)
    }()
}
