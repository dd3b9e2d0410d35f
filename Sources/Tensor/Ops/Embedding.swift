/// Gathers rows of `table` (V, C) at `ids` (N) into out (N, C): the embedding lookup.
/// Ids out of range are the caller's bug (the tokenizer's ids come from the same vocab).
/// Rows at `paddingIndex` get no gradient, as torch's nn.Embedding(padding_idx:) (BERT's word
/// embeddings pass pad_token_id).
public func embedding(_ ids: [Int32], table: Tensor, paddingIndex: Int32? = nil) -> Tensor {
    Profiler.measure(.embedding) {
        let v = table.shape[0], c = table.shape[1]
        let out = Tensor(zeros: [ids.count, c])
        let pt = table.data, po = out.data
        ids.withUnsafeBufferPointer { pid in
            for n in 0..<ids.count {
                let id = Int(pid[n])
                precondition(id >= 0 && id < v, "embedding id \(id) outside the table of \(v) rows")
                (po + n * c).update(from: pt + id * c, count: c)
            }
        }
        return Autograd.record(EmbeddingOp(ids: ids, paddingIndex: paddingIndex), inputs: [table], output: out)
    }
}

struct EmbeddingOp: BackwardOp {
    var category: Profiler.Category { .embedding }
    let ids: [Int32]
    let paddingIndex: Int32?
    var name: String { "embedding" }
    // forward: out[n] = table[ids[n]], so dtable[ids[n]] += dout[n] (scatter-add; repeated ids
    // add up), except for the padding row.
    func backward(gradOutput dout: Tensor, inputs: [Tensor], output: Tensor) {
        let table = inputs[0]
        let c = table.shape[1]
        let dt = table.gradBuffer().data, pd = dout.data
        for (n, id) in ids.enumerated() where id != paddingIndex {
            let row = dt + Int(id) * c, g = pd + n * c
            for j in 0..<c { row[j] += g[j] }
        }
    }
}
