/// A piece of a network with named parameters. Names are Hugging Face state-dict keys, nested
/// with dots (`encoder.layer.3.attention.self.query.weight`), so that loading and saving is a
/// lookup by name and AdamW's no-decay rule is a rule on names.
public protocol Module: AnyObject {
    /// This module's own parameters and its children's, each under its full dotted name
    /// relative to this module, in a fixed order.
    var namedParameters: [(name: String, tensor: Tensor)] { get }
}

extension Module {
    /// Parameters by name (for loading, saving and the optimizer).
    public var parameterDictionary: [String: Tensor] {
        Dictionary(namedParameters.map { ($0.name, $0.tensor) }, uniquingKeysWith: { first, _ in first })
    }

    /// Releases every parameter's gradient (`grad` becomes nil), keeping the buffers for the
    /// next backward to reuse.
    public func releaseGradients() {
        for (_, tensor) in namedParameters { tensor.releaseGradient() }
    }
}

/// Prefixes a child's names: `prefixed("attention.self", child.namedParameters)`.
public func prefixed(_ prefix: String, _ parameters: [(name: String, tensor: Tensor)]) -> [(name: String, tensor: Tensor)] {
    parameters.map { (prefix.isEmpty ? $0.name : prefix + "." + $0.name, $0.tensor) }
}
