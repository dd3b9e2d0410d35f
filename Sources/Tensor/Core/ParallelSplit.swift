extension Parallel {
    /// `count` items cut into `blocks` contiguous ranges, `Parallel.forEachBlock` running one
    /// range a thread. The edges follow from the sizes alone, so where a block decides which
    /// thread sums what (layer norm's partial dgamma and dbeta), the same sizes and thread count
    /// give the same bits on every run. Computing a block's range allocates nothing (a GEMM asks
    /// for one per call).
    public struct Split: Sendable {
        public let count: Int
        public let blocks: Int
        @usableFromInline let edges: Edges

        @usableFromInline enum Edges: Sendable {
            /// Block b is [b·chunk, (b + 1)·chunk) clipped to count.
            case even(chunk: Int)
            /// Edge p at the multiple of the alignment nearest to p·count / blocks.
            case aligned(Int)
            /// Edge p is boundaries[p].
            case given([Int])
        }

        @usableFromInline init(count: Int, blocks: Int, edges: Edges) {
            precondition(blocks >= 1, "a split into \(blocks) blocks")
            self.count = count
            self.blocks = blocks
            self.edges = edges
        }

        /// ⌈count / blocks⌉ items a block, the last ones shorter (or empty).
        @inlinable
        public static func even(_ count: Int, blocks: Int) -> Split {
            Split(count: count, blocks: blocks, edges: .even(chunk: (count + blocks - 1) / blocks))
        }

        /// Edges on multiples of `alignment`, each the nearest to the equal split (the first at 0,
        /// the last at count): for work that must not be cut inside a tile (`GemmSplit`).
        public static func aligned(_ count: Int, blocks: Int, alignment: Int) -> Split {
            precondition(alignment >= 1, "a split aligned to \(alignment)")
            return Split(count: count, blocks: blocks, edges: .aligned(alignment))
        }

        /// Contiguous runs of about equal total cost, `costs[i]` being item i's: block b ends
        /// after the first item where the running cost reaches b + 1 blocks' share.
        public static func balanced(costs: [Int], blocks: Int) -> Split {
            let total = costs.reduce(0, +)
            var boundaries = [0], done = 0
            for (item, cost) in costs.enumerated() where boundaries.count < blocks {
                done += cost
                if done * blocks >= total * boundaries.count { boundaries.append(item + 1) }
            }
            while boundaries.count <= blocks { boundaries.append(costs.count) }
            boundaries[blocks] = costs.count
            return Split(count: costs.count, blocks: blocks, edges: .given(boundaries))
        }

        /// The items of block `block`, in `0..<blocks`.
        @inlinable
        public func range(ofBlock block: Int) -> Range<Int> {
            switch edges {
            case .even(let chunk):
                let start = min(count, block * chunk)
                return start..<min(count, start + chunk)
            case .aligned(let alignment):
                func edge(_ p: Int) -> Int {
                    p == 0 ? 0 : p == blocks ? count : (p * count / blocks + alignment / 2) / alignment * alignment
                }
                return edge(block)..<edge(block + 1)
            case .given(let boundaries):
                return boundaries[block]..<boundaries[block + 1]
            }
        }
    }
}
