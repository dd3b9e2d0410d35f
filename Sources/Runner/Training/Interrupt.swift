import CKernels

/// Ctrl-C during training: the first SIGINT (or SIGTERM) asks the loop to stop after the current
/// step, write last/ and exit; a second one ends the process at once. The handler itself is C
/// (CKernels' interrupt.c): a signal handler may only touch a sig_atomic_t and call
/// async-signal-safe functions, which Swift code cannot promise.
enum Interrupt {
    static var requested: Bool { bk_interrupt_requested() != 0 }

    /// `quiet`: the ranks of a data-parallel run other than 0, whose notice rank 0 prints.
    static func install(quiet: Bool = false) {
        bk_interrupt_install(quiet ? "" : "\nbertkit: stopping after this step and writing last/ (press Ctrl-C again to quit at once)\n")
    }
}
