/// Padding on the right with [PAD] (type id 0, attention 0, offsets 0..<0, no word or sequence).
public enum Padding: Sendable, Equatable {
    /// To the longest encoding of the call (of the batch, for `encodeBatch`).
    case longest
    /// To this many tokens (transformers' `padding="max_length"`); longer encodings stay as they are.
    case fixed(Int)
}

extension BertTokenizer {
    func pad(_ encoding: inout Encoding, to length: Int) {
        let token = vocabulary.tokens[padId]
        while encoding.count < length {
            encoding.append(id: padId, token: token, typeId: 0, offset: 0..<0, wordId: nil, sequenceId: nil,
                            special: true, attention: 0)
        }
    }

    func pad(_ encodings: inout [Encoding], _ padding: Padding?) {
        guard let padding else { return }
        let length: Int
        switch padding {
        case .longest: length = encodings.map(\.count).max() ?? 0
        case .fixed(let fixed): length = fixed
        }
        for i in encodings.indices { pad(&encodings[i], to: length) }
    }
}
