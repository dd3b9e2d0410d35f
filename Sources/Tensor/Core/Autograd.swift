/// Reverse-mode autograd in one screen (micrograd's idea, with coarse ops).
///
/// An op computes its output, then `Autograd.record` attaches a `GraphNode` (the op value, which
/// names what its forward saved, plus its inputs) to that output. `loss.backward()` sorts the
/// nodes topologically and runs each op's `backward` in reverse order; every backward adds (+=)
/// into its inputs' `grad`. Under `Autograd.noGrad` nothing is recorded.

/// An op's backward: what it saved in its forward is stored in the conforming value's fields.
/// Code outside the Tensor module adds an op by conforming to this and calling `Autograd.record`.
public protocol BackwardOp {
    /// Shown in profiles and error messages.
    var name: String { get }
    /// Adds d(loss)/d(input) into `inputs[i].gradBuffer()` for every input with `requiresGrad`.
    /// `output` is the tensor the forward produced and `gradOutput` is d(loss)/d(output).
    func backward(gradOutput: Tensor, inputs: [Tensor], output: Tensor)
    /// Where `bertkit bench` counts this op's backward time (default: other).
    var category: Profiler.Category { get }
}

extension BackwardOp {
    public var category: Profiler.Category { .other }
}

/// One recorded application of an op.
public final class GraphNode {
    public let operation: BackwardOp
    public let inputs: [Tensor]
    init(operation: BackwardOp, inputs: [Tensor]) {
        self.operation = operation
        self.inputs = inputs
    }
}

public enum Autograd {
    /// False inside `noGrad` on the calling thread. Each thread has its own (`ThreadState`):
    /// a `noGrad` on one thread leaves another thread's graph recording. Ops parallelise inside
    /// their kernels, never across graph construction.
    public static var isRecording: Bool { ThreadState.current.isRecording }

    /// Runs `body` without recording any node on this thread (inference, evaluation, optimizer
    /// updates).
    public static func noGrad<T>(_ body: () throws -> T) rethrows -> T {
        try ThreadState.with(\.isRecording, false, body)
    }

    /// True when an op on `inputs` must record a node.
    @inlinable public static func needsGraph(_ inputs: [Tensor]) -> Bool {
        isRecording && inputs.contains { $0.requiresGrad }
    }

    /// Makes `operation` the creator of `output` when recording and some input requires a gradient.
    /// Returns `output` so a forward can end with `return Autograd.record(...)`.
    @discardableResult
    public static func record(_ operation: BackwardOp, inputs: [Tensor], output: Tensor) -> Tensor {
        guard needsGraph(inputs) else { return output }
        output.requiresGrad = true
        output.node = GraphNode(operation: operation, inputs: inputs)
        return output
    }
}

extension Tensor {
    /// Back-propagates from this tensor (a scalar loss, or any tensor with `gradient` given).
    /// Frees the graph as it goes: intermediate gradients and nodes are dropped once used, so
    /// only leaves (parameters) keep `grad`.
    ///
    /// `leafGradientIsFinal`, when given, is called for each leaf that requires a gradient as soon
    /// as the last op that reads it has run its backward: from then on this backward adds nothing
    /// to the leaf's `grad`, so data-parallel training can start summing it over the ranks while
    /// the rest of the backward runs.
    public func backward(gradient: Tensor? = nil, leafGradientIsFinal: ((Tensor) -> Void)? = nil) {
        if let g = gradient {
            precondition(g.shape == shape, "backward gradient \(g.shape) for tensor \(shape)")
            gradBuffer().copyValues(from: g)
        } else {
            precondition(count == 1, "backward() without a gradient needs a scalar, got \(shape)")
            gradBuffer().fill(1)
        }
        let order = Array(topologicalOrder().reversed())
        let finalAfter = leafGradientIsFinal == nil ? [:] : Self.leavesFinishedByPosition(order)
        for (position, tensor) in order.enumerated() {
            guard let node = tensor.node else { continue }
            if let gradOutput = tensor.grad {
                Profiler.measure(node.operation.category) {
                    node.operation.backward(gradOutput: gradOutput, inputs: node.inputs, output: tensor)
                }
            }
            tensor.node = nil
            tensor.grad = nil
            if let leaves = finalAfter[position] { for leaf in leaves { leafGradientIsFinal!(leaf) } }
        }
    }

    /// For each position of `order` (the backward's), the leaves whose last reader sits there.
    private static func leavesFinishedByPosition(_ order: [Tensor]) -> [Int: [Tensor]] {
        var lastReader: [ObjectIdentifier: (position: Int, leaf: Tensor)] = [:]
        for (position, tensor) in order.enumerated() {
            for input in tensor.node?.inputs ?? [] where input.node == nil && input.requiresGrad {
                lastReader[ObjectIdentifier(input)] = (position, input)
            }
        }
        var byPosition: [Int: [Tensor]] = [:]
        for (position, leaf) in lastReader.values { byPosition[position, default: []].append(leaf) }
        return byPosition
    }

    /// Every tensor with a node reachable from this one, inputs before outputs (iterative DFS).
    func topologicalOrder() -> [Tensor] {
        var order: [Tensor] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(tensor: Tensor, expanded: Bool)] = [(self, false)]
        while let (tensor, expanded) = stack.popLast() {
            if expanded { order.append(tensor); continue }
            guard tensor.node != nil, visited.insert(ObjectIdentifier(tensor)).inserted else { continue }
            stack.append((tensor, true))
            for input in tensor.node!.inputs where input.node != nil {
                stack.append((input, false))
            }
        }
        return order
    }
}
