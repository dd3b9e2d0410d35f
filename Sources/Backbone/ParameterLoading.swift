import Foundation
import Tensor

/// Fills named parameters from a safetensors file, by name, and reports every mismatch at once.
///
/// Checkpoint names are matched after removing the `bert.` prefix that transformers' task
/// models put before the backbone (a bare BertModel checkpoint has none), so one rule serves
/// both layouts. `embeddings.position_ids` (a buffer, not a parameter) is skipped.
public struct ParameterLoader {
    public let file: SafeTensorsFile
    /// Canonical name (no `bert.` prefix) -> name in the file.
    public let fileNames: [String: String]

    public init(file: SafeTensorsFile) {
        self.file = file
        var names: [String: String] = [:]
        for name in file.names {
            let canonical = name.hasPrefix("bert.") ? String(name.dropFirst(5)) : name
            names[canonical] = name
        }
        fileNames = names
    }

    public static func isBuffer(_ canonicalName: String) -> Bool {
        canonicalName == "embeddings.position_ids"
    }

    /// Canonical names in the file that hold parameters (buffers skipped).
    public var parameterNames: Set<String> {
        Set(fileNames.keys.filter { !Self.isBuffer($0) })
    }

    /// Copies every parameter in `parameters` from the file.
    /// - Returns: the names that were missing from the file and were allowed to be (by `optional`).
    /// - Throws: `BackboneError.checkpointMismatch` listing missing (not optional), unexpected (when
    ///   `rejectUnexpected` is given, the file names outside `parameters` that it does not accept)
    ///   and mis-shaped tensors, by name and shape.
    @discardableResult
    public func load(_ parameters: [(name: String, tensor: Tensor)],
                     optional: (String) -> Bool = { _ in false },
                     acceptUnexpected: (String) -> Bool = { _ in false }) throws -> [String] {
        var missing: [String] = [], allowedMissing: [String] = [], misshapen: [String] = []
        for (name, tensor) in parameters {
            guard let fileName = fileNames[name] else {
                if optional(name) { allowedMissing.append(name) } else { missing.append("\(name) \(tensor.shape)") }
                continue
            }
            let info = try file.info(named: fileName)
            if info.shape != tensor.shape && !(info.shape.isEmpty && tensor.count == 1) {
                misshapen.append("\(fileName) is \(info.shape), the model needs \(tensor.shape)")
                continue
            }
            let loaded = try file.tensor(named: fileName)
            tensor.copyValues(from: loaded)
        }
        let expected = Set(parameters.map(\.name))
        let unexpected = parameterNames.subtracting(expected).filter { !acceptUnexpected($0) }.sorted().map { name -> String in
            let shape = (try? file.info(named: fileNames[name]!).shape) ?? []
            return "\(fileNames[name]!) \(shape)"
        }
        if !missing.isEmpty || !unexpected.isEmpty || !misshapen.isEmpty {
            throw BackboneError.checkpointMismatch(path: file.path, missing: missing, unexpected: unexpected, misshapen: misshapen)
        }
        return allowedMissing
    }
}
