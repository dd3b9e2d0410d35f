import Foundation
import Tensor
import TaskFile

/// What `bertkit run --resume` reads from a task's last/ checkpoint before training continues
/// (trainer_state/state.json and optimizer.safetensors), read and checked as a resume reads and
/// checks it, without a model or data. For the fuzz targets (Sources/FuzzTargets) and their
/// regression tests: the trainer state itself stays internal.
public enum ResumeCheck {
    /// Reads `taskDirectory`/last/trainer_state and loads its moments into `optimizer`; returns
    /// the optimizer steps done, the epoch in progress and the steps done in it.
    public static func readLast(of taskDirectory: URL, into optimizer: AdamW) throws -> (globalStep: Int, epoch: Int, stepInEpoch: Int) {
        let spec = TaskSpec(name: taskDirectory.lastPathComponent, head: "", data: DataSpec(format: .jsonl), model: taskDirectory)
        let store = CheckpointStore(taskDirectory: taskDirectory, sourceModel: taskDirectory, spec: spec, labels: [])
        let (state, moments) = try store.readResumeState()
        try optimizer.load(moments)
        return (state.globalStep, state.epoch, state.stepInEpoch)
    }
}
