// Bounds on what a task file may expand to, so that a hostile or broken file fails fast instead
// of eating memory: aliases to aliases to aliases ("billion laughs") and absurd nesting.

struct YAMLParseLimits: Sendable {
    /// Nodes in the fully expanded tree: an alias counts as many nodes as its anchor's subtree,
    /// so an alias bomb stops after this many nodes of bookkeeping, never 10^9 copies. A real
    /// task file has a few hundred.
    var maxNodeCount: Int
    /// Nesting depth of sequences and mappings.
    var maxDepth: Int

    init(maxNodeCount: Int = 100_000, maxDepth: Int = 256) {
        self.maxNodeCount = maxNodeCount
        self.maxDepth = maxDepth
    }
}
