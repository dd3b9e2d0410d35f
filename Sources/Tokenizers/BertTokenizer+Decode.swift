import Foundation

extension BertTokenizer {
    /// Ids back to text as the WordPiece decoder does: `##` pieces joined to the previous token,
    /// other tokens separated by a space, and (with `cleanUpSpaces`, the Rust decoder's
    /// `cleanup`) no space before `.`, `?`, `!`, `,` and English contractions.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = true, cleanUpSpaces: Bool = true) -> String {
        let skipped = skipSpecialTokens ? specialIds : []
        var text = ""
        var first = true
        for id in ids where !skipped.contains(id) {
            guard let token = vocabulary.token(of: id) else { continue }
            var piece: String
            if !first && token.hasPrefix("##") {
                piece = String(token.dropFirst(2))
            } else {
                piece = first ? token : " " + token
            }
            if cleanUpSpaces { piece = Self.cleanUp(piece) }
            text += piece
            first = false
        }
        return text
    }

    /// The Rust WordPiece decoder's `cleanup`, applied to each piece (with its leading space).
    static func cleanUp(_ piece: String) -> String {
        guard piece.hasPrefix(" ") else { return piece }
        var s = piece
        for (from, to) in [(" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
                           (" 'm", "'m"), (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")] {
            s = s.replacingOccurrences(of: from, with: to)
        }
        return s
    }
}
