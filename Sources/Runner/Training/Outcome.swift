/// How a task's run ended: printed by `bertkit run`, written to metrics.json and summary.md.
enum Outcome: String, Encodable {
    /// Trained for every step.
    case finished
    /// Early stopping ended the training (`early_stopping_patience`).
    case stoppedEarly = "stopped early"
    /// Ctrl-C (or `--interrupt-after-steps`): last/ written, no final evaluation.
    case interrupted
    /// Nothing to train (`--eval-only`, or no training split): the model as it was, evaluated.
    case evaluated
}
