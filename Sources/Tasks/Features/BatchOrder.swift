import Tensor

/// The order in which features are batched.
public enum BatchOrder {
    /// Training batches for one epoch: a shuffled order from `stream`; with `groupByLength`, as
    /// transformers' LengthGroupedSampler: the shuffled order is cut into mega-batches of 50
    /// batches, each sorted by length (longest first), so a batch holds similar lengths (little
    /// padding) while the order of mega-batches stays random.
    public static func trainingBatches(lengths: [Int], batchSize: Int, groupByLength: Bool,
                                       stream: inout RandomStream) -> [[Int]] {
        var order = Array(lengths.indices)
        stream.shuffle(&order)
        if groupByLength {
            let megabatch = batchSize * 50
            var grouped: [Int] = []
            grouped.reserveCapacity(order.count)
            for start in stride(from: 0, to: order.count, by: megabatch) {
                let slice = order[start..<min(start + megabatch, order.count)]
                // stable: equal lengths keep their shuffled order
                grouped += slice.enumerated().sorted { a, b in
                    lengths[a.element] != lengths[b.element] ? lengths[a.element] > lengths[b.element] : a.offset < b.offset
                }.map(\.element)
            }
            order = grouped
        }
        return chunks(order, batchSize)
    }

    /// Evaluation batches: sorted by length (the least padding), the results put back by index.
    public static func evaluationBatches(lengths: [Int], batchSize: Int) -> [[Int]] {
        let order = lengths.indices.sorted { lengths[$0] != lengths[$1] ? lengths[$0] > lengths[$1] : $0 < $1 }
        return chunks(order, batchSize)
    }

    static func chunks(_ order: [Int], _ size: Int) -> [[Int]] {
        stride(from: 0, to: order.count, by: size).map { Array(order[$0..<min($0 + size, order.count)]) }
    }
}
