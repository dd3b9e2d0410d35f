/// A trie over Unicode scalars whose edges live in one open-addressing hash table keyed by
/// (node, scalar). WordPiece's greedy longest match is then a single walk along the word,
/// O(length) per piece, with no substring or String built on the way.
struct VocabularyTrie: Sendable {
    static let root: Int32 = 0
    private static let emptyKey = UInt64.max

    /// Edge table: key = node << 32 | scalar, value = child node. Capacity is a power of two.
    private var keys: [UInt64]
    private var children: [Int32]
    private var mask: Int
    /// Token id ending at each node, or -1.
    private(set) var tokenIds: [Int32] = [-1]

    init(expectedScalars: Int) {
        var capacity = 1024
        while capacity < expectedScalars * 2 { capacity <<= 1 }
        keys = [UInt64](repeating: Self.emptyKey, count: capacity)
        children = [Int32](repeating: -1, count: capacity)
        mask = capacity - 1
    }

    @inline(__always)
    private static func slot(_ key: UInt64, _ mask: Int) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 40) & mask
    }

    /// The child of `node` along `scalar`, or -1.
    @inline(__always)
    func child(of node: Int32, _ scalar: UInt32) -> Int32 {
        let key = UInt64(UInt32(bitPattern: node)) << 32 | UInt64(scalar)
        return keys.withUnsafeBufferPointer { keys in
            var i = Self.slot(key, mask)
            while true {
                let k = keys[i]
                if k == key { return children[i] }
                if k == Self.emptyKey { return -1 }
                i = (i + 1) & mask
            }
        }
    }

    /// Inserts `scalars` below `node` and marks the end with `id` (a later duplicate wins, as in
    /// the Rust library's vocabulary map). Returns the end node.
    @discardableResult
    mutating func insert<S: Sequence>(_ scalars: S, id: Int32, from node: Int32 = root) -> Int32 where S.Element == UInt32 {
        var node = node
        for s in scalars {
            let next = child(of: node, s)
            if next >= 0 { node = next; continue }
            let created = Int32(tokenIds.count)
            tokenIds.append(-1)
            let key = UInt64(UInt32(bitPattern: node)) << 32 | UInt64(s)
            var i = Self.slot(key, mask)
            while keys[i] != Self.emptyKey { i = (i + 1) & mask }
            keys[i] = key
            children[i] = created
            node = created
            if tokenIds.count * 2 > keys.count { grow() }
        }
        if id >= 0 { tokenIds[Int(node)] = id }
        return node
    }

    private mutating func grow() {
        let oldKeys = keys, oldChildren = children
        keys = [UInt64](repeating: Self.emptyKey, count: oldKeys.count * 2)
        children = [Int32](repeating: -1, count: oldKeys.count * 2)
        mask = keys.count - 1
        for (k, c) in zip(oldKeys, oldChildren) where k != Self.emptyKey {
            var i = Self.slot(k, mask)
            while keys[i] != Self.emptyKey { i = (i + 1) & mask }
            keys[i] = k
            children[i] = c
        }
    }

    /// Longest vocabulary entry that starts at `word[start]`, walking from `node` (the root, or
    /// the node of the `##` prefix for a continuation). Returns (id, end) or (-1, start).
    @inline(__always)
    func longestMatch(_ word: UnsafeBufferPointer<UInt32>, from start: Int, node: Int32) -> (id: Int32, end: Int) {
        var node = node
        var best: Int32 = -1
        var bestEnd = start
        var i = start
        let n = word.count
        tokenIds.withUnsafeBufferPointer { ids in
            while i < n {
                node = child(of: node, word[i])
                if node < 0 { break }
                i += 1
                let id = ids[Int(node)]
                if id >= 0 { best = id; bestEnd = i }
            }
        }
        return (best, bestEnd)
    }
}
