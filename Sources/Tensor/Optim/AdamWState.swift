import Foundation

/// Everything AdamW needs to continue exactly where it stopped: per parameter its step count and
/// its two moments. The metadata is Codable (a JSON file); the moments are named tensors for a
/// safetensors file, under torch's state names `exp_avg.<parameter>` and `exp_avg_sq.<parameter>`.
public struct AdamWState {
    public var metadata: AdamWStateMetadata
    /// Two tensors per parameter, in parameter order: first moment, then second moment.
    public var moments: [(name: String, tensor: Tensor)]

    public init(metadata: AdamWStateMetadata, moments: [(name: String, tensor: Tensor)]) {
        self.metadata = metadata
        self.moments = moments
    }

    public static func firstMomentName(of parameter: String) -> String { "exp_avg." + parameter }
    public static func secondMomentName(of parameter: String) -> String { "exp_avg_sq." + parameter }
}

/// The Codable half of `AdamWState`.
public struct AdamWStateMetadata: Codable, Equatable, Sendable {
    public struct Parameter: Codable, Equatable, Sendable {
        public var name: String
        /// Updates applied so far (torch's `state[p]["step"]`); 0 = never updated, moments zero.
        public var step: Int
        /// The decay the optimizer applied (informative: a resumed optimizer uses its own rule).
        public var weightDecay: Double
        public var shape: [Int]

        public init(name: String, step: Int, weightDecay: Double, shape: [Int]) {
            self.name = name
            self.step = step
            self.weightDecay = weightDecay
            self.shape = shape
        }
    }

    /// Informative too: the resumed optimizer keeps the betas and epsilon it was built with.
    public var beta1: Double
    public var beta2: Double
    public var epsilon: Double
    public var parameters: [Parameter]

    public init(beta1: Double, beta2: Double, epsilon: Double, parameters: [Parameter]) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.parameters = parameters
    }
}

/// Why a saved optimizer state does not fit this optimizer. Each case names the parameter; the
/// caller that read the files adds their paths.
public enum AdamWStateError: Error, Equatable, CustomStringConvertible {
    /// The optimizer has this parameter but the state does not list it.
    case missingParameter(String)
    /// The state lists a parameter the optimizer does not have (another model or head?).
    case unexpectedParameter(String)
    case negativeStep(parameter: String, step: Int)
    /// The moment tensor `moment` (e.g. `exp_avg.classifier.weight`) is absent.
    case missingMoment(parameter: String, moment: String)
    case momentShapeMismatch(parameter: String, moment: String, expected: [Int], found: [Int])

    public var description: String {
        switch self {
        case .missingParameter(let name):
            return "optimizer state has no entry for parameter '\(name)'"
        case .unexpectedParameter(let name):
            return "optimizer state has an entry for '\(name)', which the model does not have"
        case .negativeStep(let name, let step):
            return "optimizer state gives parameter '\(name)' a negative step count \(step)"
        case .missingMoment(let name, let moment):
            return "optimizer state has no tensor '\(moment)' for parameter '\(name)'"
        case .momentShapeMismatch(let name, let moment, let expected, let found):
            return "optimizer state tensor '\(moment)' has shape \(found), parameter '\(name)' has \(expected)"
        }
    }
}

extension AdamW {
    /// The current state. The moment tensors are the optimizer's own buffers, not copies (a copy
    /// would double the optimizer's memory): write them out before the next `step`.
    public func state() -> AdamWState {
        var moments: [(name: String, tensor: Tensor)] = []
        moments.reserveCapacity(2 * slots.count)
        for slot in slots {
            moments.append((AdamWState.firstMomentName(of: slot.name), slot.m))
            moments.append((AdamWState.secondMomentName(of: slot.name), slot.v))
        }
        let parameters = slots.map {
            AdamWStateMetadata.Parameter(name: $0.name, step: $0.step, weightDecay: $0.weightDecay, shape: $0.tensor.shape)
        }
        return AdamWState(metadata: AdamWStateMetadata(beta1: beta1, beta2: beta2, epsilon: epsilon, parameters: parameters),
                          moments: moments)
    }

    /// Restores step counts and moments (copied into the optimizer's buffers). Everything is
    /// checked before anything changes, so a failed load leaves the optimizer as it was.
    public func load(_ state: AdamWState) throws {
        var entries: [String: AdamWStateMetadata.Parameter] = [:]
        for entry in state.metadata.parameters {
            guard slots.contains(where: { $0.name == entry.name }) else {
                throw AdamWStateError.unexpectedParameter(entry.name)
            }
            entries[entry.name] = entry
        }
        let tensors = Dictionary(state.moments.map { ($0.name, $0.tensor) }, uniquingKeysWith: { first, _ in first })

        var plan: [(slot: Slot, step: Int, m: Tensor, v: Tensor)] = []
        for slot in slots {
            guard let entry = entries[slot.name] else { throw AdamWStateError.missingParameter(slot.name) }
            guard entry.step >= 0 else { throw AdamWStateError.negativeStep(parameter: slot.name, step: entry.step) }
            let m = try moment(AdamWState.firstMomentName(of: slot.name), of: slot, in: tensors)
            let v = try moment(AdamWState.secondMomentName(of: slot.name), of: slot, in: tensors)
            plan.append((slot, entry.step, m, v))
        }
        for item in plan {
            item.slot.step = item.step
            // Loading the optimizer's own state() back is a no-op, not a self-overlapping copy.
            if item.m.storage !== item.slot.m.storage { item.slot.m.copyValues(from: item.m) }
            if item.v.storage !== item.slot.v.storage { item.slot.v.copyValues(from: item.v) }
        }
    }

    private func moment(_ key: String, of slot: Slot, in tensors: [String: Tensor]) throws -> Tensor {
        guard let tensor = tensors[key] else { throw AdamWStateError.missingMoment(parameter: slot.name, moment: key) }
        guard tensor.shape == slot.tensor.shape else {
            throw AdamWStateError.momentShapeMismatch(parameter: slot.name, moment: key,
                                                      expected: slot.tensor.shape, found: tensor.shape)
        }
        return tensor
    }
}
