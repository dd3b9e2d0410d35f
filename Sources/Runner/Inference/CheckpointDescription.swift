import Backbone
import Foundation
import Heads

/// What a checkpoint folder says about the model it holds: which head reads the backbone, with
/// which options and class names, and how long its inputs may be. A folder `bertkit run` wrote
/// says it in bertkit.json; a folder transformers wrote says it in config.json
/// (`init(transformersConfigOf:maxSeqLength:)`). Both load the same way from here on.
public struct CheckpointDescription {
    /// Where the description came from.
    public enum Source: String, Sendable {
        /// bertkit.json, written by `bertkit run`.
        case bertkitManifest = "bertkit.json"
        /// config.json's architectures and id2label, written by transformers.
        case transformersConfig = "config.json"
    }

    public var source: Source
    /// The task's name (bertkit.json) or the folder's.
    public var task: String
    public var head: HeadDescriptor
    public var headConfig: [String: JSONValue]
    /// Class names in index order, as the checkpoint carries them (may be empty).
    public var labels: [String]
    /// Tokens per feature at most.
    public var maxSeqLength: Int
    /// Span extraction: overlap of consecutive windows, longest answer, candidates per question.
    public var docStride: Int?
    public var maxAnswerLength: Int?
    public var nBestSize: Int?

    /// Reads bertkit.json when the folder has one, else config.json as transformers wrote it.
    /// `maxSeqLength` overrides the checkpoint's length limit.
    public init(of folder: ModelFolder, maxSeqLength: Int? = nil) throws {
        let manifestURL = folder.url.appendingPathComponent(Source.bertkitManifest.rawValue)
        if FileManager.default.fileExists(atPath: manifestURL.path) {
            try self.init(manifestAt: manifestURL, maxSeqLength: maxSeqLength)
        } else {
            try self.init(transformersConfigOf: folder, maxSeqLength: maxSeqLength)
        }
    }

    /// bertkit.json: the head by its registered name, and the settings it was trained with.
    init(manifestAt url: URL, maxSeqLength: Int?) throws {
        let manifest: CheckpointStore.Manifest
        do {
            manifest = try JSONDecoder().decode(CheckpointStore.Manifest.self, from: Data(contentsOf: url))
        } catch {
            throw CLIError("\(url.path): not a bertkit.json BertKit can read (\(error))")
        }
        // what `bertkit run` writes, as its task file allows: a negative n_best_size would trap in
        // the answer search, the others would make every input fail
        let counts = [("maxSeqLength", manifest.maxSeqLength, 3), ("docStride", manifest.docStride, 1),
                      ("maxAnswerLength", manifest.maxAnswerLength, 1), ("nBestSize", manifest.nBestSize, 1)]
        for case let (key, value?, least) in counts where value < least {
            throw CLIError("\(url.path): `\(key)` is \(value); it must be at least \(least)")
        }
        source = .bertkitManifest
        task = manifest.task
        head = try HeadRegistry.descriptor(named: manifest.head)
        headConfig = manifest.headConfig
        labels = try Self.distinct(manifest.labels, key: "labels", path: url.path)
        self.maxSeqLength = maxSeqLength ?? manifest.maxSeqLength
        docStride = manifest.docStride
        maxAnswerLength = manifest.maxAnswerLength
        nBestSize = manifest.nBestSize
    }

    /// `labels`, unless a name repeats: a task kind keys its answers by label name (classification's
    /// "probabilities"), and two classes of one name cannot be told apart.
    static func distinct(_ labels: [String], key: String, path: String) throws -> [String] {
        var seen = Set<String>()
        for (index, label) in labels.enumerated() where !seen.insert(label).inserted {
            throw CLIError("\(path): key `\(key)`: class \(index) is named \"\(label)\" as an earlier one is; class names must differ")
        }
        return labels
    }
}
