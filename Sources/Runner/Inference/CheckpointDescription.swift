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
        // bertkit run writes the task's max_seq_length (8 or more); a shorter one cannot hold
        // [CLS], a token and [SEP], and its inputs would encode to nothing
        guard manifest.maxSeqLength >= 3 else {
            throw CLIError("\(url.path): key `maxSeqLength` is \(manifest.maxSeqLength); it must be at least 3 ([CLS], a token, [SEP])")
        }
        source = .bertkitManifest
        task = manifest.task
        head = try HeadRegistry.descriptor(named: manifest.head)
        headConfig = manifest.headConfig
        labels = manifest.labels
        self.maxSeqLength = maxSeqLength ?? manifest.maxSeqLength
        docStride = manifest.docStride
        maxAnswerLength = manifest.maxAnswerLength
        nBestSize = manifest.nBestSize
    }
}
