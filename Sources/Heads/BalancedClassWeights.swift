/// `class_weights: balanced`: scikit-learn's `compute_class_weight("balanced")`, the weight of
/// class c being n / (k · count_c), where the counts are those of the class indices the loss
/// reads in the training targets (`ClassIndexTargets`: one per sequence, or one per labelled
/// token), n their total and k the number of classes that occur. Every class then carries the
/// same total weight, n / k.
///
/// A class that never occurs in the training targets gets weight 0 and is left out of k
/// (scikit-learn refuses such a class). Its weight never enters the training loss, whose rows
/// all have classes that occur; in the evaluation loss it leaves that class's rows out rather
/// than guessing a weight for them.
public enum BalancedClassWeights {
    /// How often each of the `classes` classes occurs in `targets`; nil when some targets are
    /// not class indices (a head that trains on another kind of target).
    public static func counts(in targets: [any HeadTargets], classes: Int) -> [Int]? {
        var counts = Array(repeating: 0, count: classes)
        for target in targets {
            guard let indexed = target as? any ClassIndexTargets else { return nil }
            for index in indexed.classIndices {
                precondition(index >= 0 && Int(index) < classes, "class index \(index) outside 0..<\(classes)")
                counts[Int(index)] += 1
            }
        }
        return counts
    }

    /// n / (k · count) per class, 0 for a class whose count is 0; `counts` must not all be 0.
    public static func weights(counts: [Int]) -> [Float] {
        let n = counts.reduce(0, +), k = counts.filter { $0 > 0 }.count
        precondition(n > 0, "balanced class weights of no targets")
        return counts.map { $0 == 0 ? 0 : Float(Double(n) / (Double(k) * Double($0))) }
    }
}
