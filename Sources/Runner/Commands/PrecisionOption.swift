import ArgumentParser
import Tensor

extension Precision: ExpressibleByArgument {}

/// Refuses bf16 before any work where it cannot run (no bfloat16 units, no oneDNN), with the
/// reason; `context` names what asked for it (a task, a command).
public func requireBF16(for context: String) throws {
    do {
        try BF16Support.check()
    } catch {
        throw CLIError("\(context): \(error)")
    }
}
