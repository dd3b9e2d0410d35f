import Foundation

extension TrainerState {
    /// Reads trainer_state/state.json, refusing counts that no run writes: the trainer indexes
    /// the epoch's batches with `stepInEpoch`, seeds the data order with `epoch` (as a UInt64) and
    /// counts on from `globalStep`, so a negative or inconsistent one would trap in the middle of
    /// a resume. Each step done belongs to one epoch, hence epoch and stepInEpoch <= globalStep.
    static func read(from url: URL) throws -> TrainerState {
        let state: TrainerState
        do {
            state = try JSONDecoder().decode(TrainerState.self, from: Data(contentsOf: url))
        } catch {
            throw CLIError("\(url.path): not a trainer state BertKit can read (\(error))")
        }
        func refuse(_ key: String, _ value: Int, _ why: String) -> CLIError {
            CLIError("\(url.path): `\(key)` is \(value); \(why)")
        }
        for (key, value) in [("globalStep", state.globalStep), ("epoch", state.epoch), ("stepInEpoch", state.stepInEpoch),
                             ("totalSteps", state.totalSteps), ("evaluationsWithoutImprovement", state.evaluationsWithoutImprovement)]
        where value < 0 {
            throw refuse(key, value, "a saved count is never negative")
        }
        for (key, value) in [("epoch", state.epoch), ("stepInEpoch", state.stepInEpoch)] where value > state.globalStep {
            throw refuse(key, value, "more than the \(state.globalStep) steps done (globalStep)")
        }
        if let ranks = state.ranks, ranks < 1 { throw refuse("ranks", ranks, "a run has at least one process") }
        if let best = state.best, best.step < 0 { throw refuse("best.step", best.step, "a saved count is never negative") }
        return state
    }
}
