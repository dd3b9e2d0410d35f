import Foundation

/// The one thread that talks to MPI. MPI is initialised on it (MPI_THREAD_FUNNELED) and every
/// collective runs on it, one after another, in the order the training thread submitted them,
/// which is the same order on every rank (MPI requires that). The training thread goes on
/// computing while a gradient bucket is being summed: that is the overlap of communication with
/// the backward pass.
final class CommunicationThread: @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [() -> Void] = []
    private var submitted = 0
    private var completed = 0
    private var thread: Thread?

    init(name: String) {
        let thread = Thread { [self] in loop() }
        thread.name = name
        // the thread blocks in MPI while the compute threads work: a small stack is enough
        thread.stackSize = 1 << 20
        self.thread = thread
        thread.start()
    }

    /// Queues `job` and returns its ticket (jobs complete in ticket order).
    @discardableResult
    func submit(_ job: @escaping () -> Void) -> Int {
        condition.lock()
        defer { condition.unlock() }
        jobs.append(job)
        submitted += 1
        condition.broadcast()
        return submitted
    }

    /// Waits until the job with `ticket` (and every one before it) has run.
    func wait(for ticket: Int) {
        condition.lock()
        while completed < ticket { condition.wait() }
        condition.unlock()
    }

    /// Runs `job` on the thread and waits for it: a blocking call made through the thread.
    func run<T>(_ job: @escaping () -> T) -> T {
        nonisolated(unsafe) var result: T?
        wait(for: submit { result = job() })
        return result!
    }

    private func loop() {
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let job = jobs.removeFirst()
            condition.unlock()
            job()
            condition.lock()
            completed += 1
            condition.broadcast()
            condition.unlock()
        }
    }
}
