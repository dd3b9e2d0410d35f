/// What can go wrong reading a model folder; every message names the file and the tensor or key.
public enum BackboneError: Error, CustomStringConvertible, Equatable {
    case unreadableFile(String, String)
    case invalidConfig(String, key: String?, String)
    case checkpointMismatch(path: String, missing: [String], unexpected: [String], misshapen: [String])
    case unsupportedArchitecture(String, String)

    public var description: String {
        switch self {
        case .unreadableFile(let path, let why):
            return "\(path): cannot read (\(why))"
        case .invalidConfig(let path, let key, let why):
            return "\(path): \(key.map { "key `\($0)`: " } ?? "")\(why)"
        case .checkpointMismatch(let path, let missing, let unexpected, let misshapen):
            var lines = ["\(path): the checkpoint does not fit the model"]
            if !missing.isEmpty { lines.append("  missing tensors: " + missing.joined(separator: ", ")) }
            if !unexpected.isEmpty { lines.append("  unexpected tensors: " + unexpected.joined(separator: ", ")) }
            if !misshapen.isEmpty { lines.append("  wrong shapes: " + misshapen.joined(separator: ", ")) }
            return lines.joined(separator: "\n")
        case .unsupportedArchitecture(let path, let name):
            return "\(path): architecture `\(name)` is not supported (BertModel, BertForSequenceClassification, BertForTokenClassification, BertForQuestionAnswering)"
        }
    }
}
