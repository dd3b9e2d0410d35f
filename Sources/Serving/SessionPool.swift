import Foundation
import Runner

/// Copies of the model with task kinds of their own (`ServableModel.copySharingWeights`): a
/// task kind keeps what it planned for a request's inputs from encoding until describing, so
/// each request in flight holds one copy, and copies are reused afterwards.
final class SessionPool: @unchecked Sendable {
    private let template: ServableModel
    private let lock = NSLock()
    private var free: [ServableModel] = []  // guarded by `lock`
    /// Copies kept for reuse at most; more are made under load and dropped afterwards.
    private let keep: Int

    init(template: ServableModel, keep: Int) {
        self.template = template
        self.keep = keep
    }

    func take() throws -> ServableModel {
        lock.lock()
        let reused = free.popLast()
        lock.unlock()
        return try reused ?? template.copySharingWeights()
    }

    func put(_ session: ServableModel) {
        lock.lock()
        if free.count < keep { free.append(session) }
        lock.unlock()
    }
}
