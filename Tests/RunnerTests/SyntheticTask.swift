import Foundation

/// A small classification task the tiny fixture model can learn: texts of 3-8 random lowercase
/// letters (single-character tokens of its 2,000-line vocabulary); the label is `yes` when the
/// letter z occurs, else `no` (about half each).
enum SyntheticTask {
    static func rows(count: Int, seed: UInt64) -> [(text: String, label: String)] {
        var state = seed
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        let letters = Array("abcdefghijklmnopqrstuvwxy")
        return (0..<count).map { i in
            let length = 3 + Int(next() % 6)
            var words = (0..<length).map { _ in String(letters[Int(next() % UInt64(letters.count))]) }
            let positive = i % 2 == 0
            if positive { words[Int(next() % UInt64(length))] = "z" }
            return (words.joined(separator: " "), positive ? "yes" : "no")
        }
    }

    /// Writes train.tsv, dev.tsv and tasks.yaml into `folder`; returns the task file.
    @discardableResult
    static func write(to folder: URL, trainCount: Int = 320, devCount: Int = 80, extra: String = "") throws -> URL {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (name, count, seed) in [("train.tsv", trainCount, UInt64(1)), ("dev.tsv", devCount, UInt64(2))] {
            let body = "sentence\tlabel\n" + rows(count: count, seed: seed).map { "\($0.text)\t\($0.label)\n" }.joined()
            try Data(body.utf8).write(to: folder.appendingPathComponent(name))
        }
        let yaml = """
            model: \(BertKitProcess.fixtures.appendingPathComponent("tiny-bert").path)
            output: runs
            defaults: {epochs: 4, batch_size: 16, learning_rate: 1e-3, warmup_ratio: 0.1, weight_decay: 0.01, max_seq_length: 32, seed: 7, logging_steps: 5}
            tasks:
              - name: has-z
                head: sequence-classification
                head_config: {pooling: mean}
                data: {format: tsv, train: train.tsv, eval: dev.tsv, text: sentence, label: label}
                metrics: [accuracy, f1]
            \(extra)
            """
        let url = folder.appendingPathComponent("tasks.yaml")
        try Data(yaml.utf8).write(to: url)
        return url
    }
}
