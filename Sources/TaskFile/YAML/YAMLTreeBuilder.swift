// Builds the YAMLNode tree from libyaml's events with an explicit stack (no recursion, so deep
// nesting cannot overflow the call stack). It resolves aliases, enforces the size limits that stop
// alias bombs, and hands finished mappings to YAMLMappingAssembly (duplicate keys, merge keys).

struct YAMLTreeBuilder {
    /// A collection being filled, with the anchor it will be registered under when it closes.
    private struct Frame {
        enum Content {
            case sequence([YAMLNode])
            /// Keys and values alternate as libyaml sends them; paired up when the mapping ends.
            case mapping([YAMLNode])
        }
        var content: Content
        var anchor: String?
        var position: YAMLPosition
        /// This collection plus all nodes (expanded) under it.
        var nodeCount = 1
    }

    private let limits: YAMLParseLimits
    private var stack: [Frame] = []
    private var anchors: [String: (node: YAMLNode, nodeCount: Int)] = [:]
    private var totalNodeCount = 0
    private(set) var root: YAMLNode?
    /// Each key repeated in a mapping, in the order the mappings closed (the repeats are dropped).
    private(set) var duplicateKeys: [YAMLError] = []

    init(limits: YAMLParseLimits) {
        self.limits = limits
    }

    mutating func scalar(_ scalar: YAMLScalar, anchor: String?, at position: YAMLPosition) throws {
        try count(1, at: position)
        let node = YAMLNode(.scalar(scalar), at: position)
        if let anchor { anchors[anchor] = (node, 1) }
        attach(node, nodeCount: 1)
    }

    mutating func alias(_ name: String, at position: YAMLPosition) throws {
        guard let (anchored, nodeCount) = anchors[name] else {
            let isOpen = stack.contains { $0.anchor == name }
            throw YAMLError(.undefinedAlias(name), at: position, isOpen
                ? "alias `*\(name)` refers to the node that contains it (a cycle)"
                : "alias `*\(name)` refers to no anchor `&\(name)` defined before it")
        }
        try count(nodeCount, at: position)
        // The copy keeps the anchored node's positions: errors inside it point at the definition.
        attach(anchored, nodeCount: nodeCount)
    }

    mutating func startSequence(anchor: String?, at position: YAMLPosition) throws {
        try open(Frame(content: .sequence([]), anchor: anchor, position: position))
    }

    mutating func startMapping(anchor: String?, at position: YAMLPosition) throws {
        try open(Frame(content: .mapping([]), anchor: anchor, position: position))
    }

    /// Closes the innermost sequence or mapping (libyaml guarantees the kinds match).
    mutating func endCollection() throws {
        let frame = stack.removeLast()
        let node: YAMLNode
        switch frame.content {
        case let .sequence(elements):
            node = YAMLNode(.sequence(elements), at: frame.position)
        case let .mapping(keysAndValues):
            let entries = try YAMLMappingAssembly.entries(fromAlternating: keysAndValues, duplicateKeys: &duplicateKeys)
            node = YAMLNode(.mapping(entries), at: frame.position)
        }
        if let anchor = frame.anchor { anchors[anchor] = (node, frame.nodeCount) }
        attach(node, nodeCount: frame.nodeCount)
    }

    private mutating func open(_ frame: Frame) throws {
        try count(1, at: frame.position)
        guard stack.count < limits.maxDepth else {
            throw YAMLError(.tooLarge, at: frame.position,
                            "nesting deeper than \(limits.maxDepth) levels is not supported")
        }
        stack.append(frame)
    }

    private mutating func count(_ nodes: Int, at position: YAMLPosition) throws {
        totalNodeCount += nodes
        guard totalNodeCount <= limits.maxNodeCount else {
            throw YAMLError(.tooLarge, at: position,
                            "the document expands to more than \(limits.maxNodeCount) nodes "
                            + "(aliases count as copies of what they refer to); refusing to go on")
        }
    }

    private mutating func attach(_ node: YAMLNode, nodeCount: Int) {
        guard !stack.isEmpty else {
            root = node
            return
        }
        stack[stack.count - 1].nodeCount += nodeCount
        switch stack[stack.count - 1].content {
        case var .sequence(elements):
            stack[stack.count - 1].content = .sequence([])  // drop the old reference: append in place
            elements.append(node)
            stack[stack.count - 1].content = .sequence(elements)
        case var .mapping(keysAndValues):
            stack[stack.count - 1].content = .mapping([])
            keysAndValues.append(node)
            stack[stack.count - 1].content = .mapping(keysAndValues)
        }
    }
}
