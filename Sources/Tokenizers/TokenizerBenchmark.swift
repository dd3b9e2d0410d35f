import Foundation

/// Throughput of `encodeBatch` the way the peer script measures the Rust tokenizer: batches of
/// 1,000 sentences, no truncation or padding, one warm-up pass, median of the timed passes.
public enum TokenizerBenchmark {
    public static func run(tokenizer: BertTokenizer, sentences: [String], threads: Int,
                           repetitions: Int = 3) -> (sentencesPerSecond: Double, tokensPerSecond: Double) {
        var seconds: [Double] = []
        var tokens = 0
        for pass in 0...max(1, repetitions) {
            let start = DispatchTime.now().uptimeNanoseconds
            var count = 0
            for batchStart in stride(from: 0, to: sentences.count, by: 1000) {
                let batch = Array(sentences[batchStart..<min(sentences.count, batchStart + 1000)])
                for encoding in tokenizer.encodeBatch(batch, threads: threads) { count += encoding.count }
            }
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            tokens = count
            if pass > 0 { seconds.append(elapsed) }  // pass 0 warms up
        }
        let median = seconds.sorted()[seconds.count / 2]
        return (Double(sentences.count) / median, Double(tokens) / median)
    }
}
