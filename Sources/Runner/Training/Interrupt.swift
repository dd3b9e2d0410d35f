import Foundation

/// Ctrl-C during training: the first SIGINT (or SIGTERM) asks the loop to stop after the current
/// step, write last/ and exit; a second one ends the process at once.
enum Interrupt {
    nonisolated(unsafe) private(set) static var requested = false

    static func install() {
        let handler: @convention(c) (Int32) -> Void = { signal in
            if Interrupt.requested { _exit(130) }
            Interrupt.requested = true
            let note = "\nbertkit: stopping after this step and writing last/ (press Ctrl-C again to quit at once)\n"
            _ = note.withCString { write(2, $0, strlen($0)) }
        }
        signal(SIGINT, handler)
        signal(SIGTERM, handler)
    }

    /// For tests: behave as if Ctrl-C had been pressed.
    static func request() { requested = true }
}
