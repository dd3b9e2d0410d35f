import Foundation
import Tasks
import TaskFile

/// Classification data (tsv, csv, jsonl), each input read twice: with a header and columns by
/// position, then without a header with an id and a text pair; both as train and as an
/// unlabelled test split.
enum ClassificationTargets {
    static let all = [tsv, csv, jsonl]

    static let tsv = delimited(.tsv, "train.tsv")
    static let csv = delimited(.csv, "train.csv")

    static func delimited(_ format: DataFormat, _ name: String) -> FuzzTarget {
        FuzzTarget(format.rawValue, "\(format.rawValue) classification data -> features -> evaluation; ids in range, lengths within max_seq_length") { bytes in
            var headed = DataSpec(format: format)
            headed.text = .index(0)
            headed.label = .index(1)
            var pairs = DataSpec(format: format)
            pairs.header = false
            (pairs.id, pairs.text, pairs.textPair, pairs.label) = (.index(0), .index(1), .index(2), .index(3))
            try readBoth(bytes, as: name, headed, pairs)
        }
    }

    static let jsonl = FuzzTarget("jsonl", "jsonl classification data -> features -> evaluation; ids in range, lengths within max_seq_length") { bytes in
        let single = DataSpec(format: .jsonl)
        var pairs = DataSpec(format: .jsonl)
        (pairs.id, pairs.textPair) = (.name("uid"), .name("text_pair"))
        try readBoth(bytes, as: "train.jsonl", single, pairs)
    }

    /// Reads with `first`, then with `second`: a refusal by one does not hide the other. The
    /// input counts as accepted when either spec reads it.
    static func readBoth(_ bytes: [UInt8], as name: String, _ first: DataSpec, _ second: DataSpec) throws {
        var training = TrainingSettings()
        training.maxSeqLength = 16
        var accepted = false, refusal: Error?
        for data in [first, second] {
            do {
                try DatasetFlow.run(bytes, as: name, kind: "classification", data: data, training: training, splits: [.train, .test])
                accepted = true
            } catch let failure as FuzzFailure {
                throw failure
            } catch {
                refusal = refusal ?? error
            }
        }
        if !accepted, let refusal { throw refusal }
    }
}

/// CoNLL files in each tagging scheme the reader supports: train, eval and test splits, then
/// again in short windows with document context and every sub-token labelled.
enum CoNLLTargets {
    static let all = ["iob1", "iob2", "bioes"].map(target)

    static func target(_ scheme: String) -> FuzzTarget {
        FuzzTarget("conll-\(scheme)", "CoNLL, scheme \(scheme) -> features -> evaluation (tags written back in \(scheme))") { bytes in
            var data = DataSpec(format: .conll)
            data.scheme = scheme
            var training = TrainingSettings()
            training.maxSeqLength = 32
            try DatasetFlow.run(bytes, as: "train.txt", kind: "token-classification", data: data, training: training, splits: [.train, .test])
            training.maxSeqLength = 8
            training.documentContext = true
            training.labelAllTokens = true
            try DatasetFlow.run(bytes, as: "train.txt", kind: "token-classification", data: data, training: training, splits: [.train, .test])
        }
    }
}

/// SQuAD files as v1.1 (version_2_with_negative false) and v2.0 (true): windows of 32 tokens
/// sharing 8, post-processing of made-up logits, the official metrics. A file refused for one
/// bad question is read again with skip_invalid.
enum SquadTargets {
    static let all = [target("squad-v1", versionTwo: false), target("squad-v2", versionTwo: true)]

    static func target(_ name: String, versionTwo: Bool) -> FuzzTarget {
        FuzzTarget(name, "SQuAD JSON (version_2_with_negative \(versionTwo)) -> windows -> post-processing -> metrics") { bytes in
            var data = DataSpec(format: .squad)
            var training = TrainingSettings()
            (training.maxSeqLength, training.docStride, training.maxAnswerLength, training.nBestSize) = (32, 8, 10, 5)
            training.versionTwoWithNegative = versionTwo
            do {
                try DatasetFlow.run(bytes, as: "train.json", kind: "span-extraction", data: data, training: training, splits: [.train, .test])
            } catch let failure as FuzzFailure {
                throw failure
            } catch {
                data.skipInvalid = true
                try DatasetFlow.run(bytes, as: "train.json", kind: "span-extraction", data: data, training: training, splits: [.train, .test])
            }
        }
    }
}

/// Plain text for masked language modelling: grouped into blocks, then one sequence per line.
enum TextLinesTarget {
    static let target = FuzzTarget("text-lines", "text for masked-LM -> blocks and line_by_line -> masks -> evaluation") { bytes in
        var data = DataSpec(format: .text)
        var training = TrainingSettings()
        training.maxSeqLength = 16
        try DatasetFlow.run(bytes, as: "train.txt", kind: "language-modeling", data: data, training: training, splits: [.train, .eval])
        data.lineByLine = true
        try DatasetFlow.run(bytes, as: "train.txt", kind: "language-modeling", data: data, training: training, splits: [.train, .eval])
    }
}
