import Foundation
import XCTest
@testable import Tasks
import Tensor
import Tokenizers

/// Masked language modelling's masks (`TokenMasking`), as DataCollatorForLanguageModeling and
/// DataCollatorForWholeWordMask draw them, on all-MiniLM-L6-v2's vocabulary (Tests/Fixtures/tokenizer).
///
/// Statistics are held to 4 standard deviations of their binomial distribution (a correct
/// sampler lands outside with probability 6e-5 per check; the draws are seeded, so the outcome
/// is fixed). Random replacements that happen to draw the masked token itself, or [MASK], look
/// like "kept" or "[MASK]": 1 in 30522, far inside the tolerance.
final class TokenMaskingTests: XCTestCase {
    static let tokenizer = try! QAFixtures.tokenizer()

    /// Sequences of `length` ids shaped like grouped text: words (a token, sometimes followed by
    /// `##` pieces), a [CLS] ... [SEP] around every sentence of 4-12 words, now and then an [UNK]
    /// or a [MASK] spelled in the text.
    static func sequences(count: Int, length: Int, seed: UInt64) -> [[Int32]] {
        let tokens = tokenizer.vocabulary.tokens
        let words = tokens.indices.filter { id in tokens[id].unicodeScalars.allSatisfy { ("a"..."z").contains($0) } && tokens[id].count > 2 }
        let pieces = tokens.indices.filter { tokens[$0].hasPrefix("##") }
        var stream = RandomStream(key: seed)
        return (0..<count).map { _ in
            var ids: [Int32] = []
            var sentenceLeft = 0
            while ids.count < length {
                if sentenceLeft == 0 {
                    ids += [Int32(tokenizer.sepId), Int32(tokenizer.clsId)]
                    sentenceLeft = 4 + stream.nextInt(below: 9)
                }
                let u = stream.nextUniform()
                if u < 0.01 { ids.append(Int32(tokenizer.unkId)) } else if u < 0.02 { ids.append(Int32(tokenizer.maskId!)) } else {
                    ids.append(Int32(words[stream.nextInt(below: words.count)]))
                    while stream.nextUniform() < 0.35 { ids.append(Int32(pieces[stream.nextInt(below: pieces.count)])) }
                }
                sentenceLeft -= 1
            }
            return Array(ids.prefix(length))
        }
    }

    struct Counts {
        var candidates = 0, chosen = 0, masked = 0, replaced = 0, kept = 0
    }

    /// Masks every sequence with its own stream and counts what happened; fails on any special
    /// token chosen or changed, or a label that is not the original id.
    func count(_ masking: TokenMasking, _ sequences: [[Int32]], check: ([Int32], [Bool]) -> Void = { _, _ in }) -> Counts {
        var counts = Counts()
        let special = Set(Self.tokenizer.specialIds.map(Int32.init))
        for (i, ids) in sequences.enumerated() {
            var stream = RandomStream(key: RandomStreams.derivedKey(99, UInt64(i), 0))
            let (inputs, labels) = masking.mask(ids, stream: &stream)
            var chosen = [Bool](repeating: false, count: ids.count)
            for j in ids.indices {
                if special.contains(ids[j]) {
                    if labels[j] != -100 || inputs[j] != ids[j] { XCTFail("special token \(ids[j]) at \(j) chosen or changed"); return counts }
                    continue
                }
                counts.candidates += 1
                guard labels[j] != -100 else {
                    if inputs[j] != ids[j] { XCTFail("an unchosen token changed at \(j)"); return counts }
                    continue
                }
                XCTAssertEqual(labels[j], ids[j], "the label is the original id")
                chosen[j] = true
                counts.chosen += 1
                if inputs[j] == masking.maskID { counts.masked += 1 } else if inputs[j] == ids[j] { counts.kept += 1 } else { counts.replaced += 1 }
            }
            check(ids, chosen)
        }
        return counts
    }

    /// |observed - n·p| <= 4·sqrt(n·p·(1-p))
    func assertBinomial(_ observed: Int, trials n: Int, probability p: Double, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        let mean = Double(n) * p, sigma = (Double(n) * p * (1 - p)).squareRoot()
        XCTAssertLessThanOrEqual(abs(Double(observed) - mean), 4 * sigma,
                                 "\(what): \(observed) of \(n), expected \(mean) ± \(4 * sigma) (4σ)", file: file, line: line)
    }

    func testFifteenPercentChosenThenEightyTenTen() {
        let masking = TokenMasking(tokenizer: Self.tokenizer, maskID: Self.tokenizer.maskId!, probability: 0.15, wholeWords: false)
        let counts = count(masking, Self.sequences(count: 1000, length: 128, seed: 1))
        XCTAssertGreaterThan(counts.candidates, 100_000)
        assertBinomial(counts.chosen, trials: counts.candidates, probability: 0.15, "chosen")
        assertBinomial(counts.masked, trials: counts.chosen, probability: 0.8, "[MASK]")
        assertBinomial(counts.replaced, trials: counts.chosen, probability: 0.1, "random token")
        assertBinomial(counts.kept, trials: counts.chosen, probability: 0.1, "kept")
        // another probability moves the share
        let half = count(TokenMasking(tokenizer: Self.tokenizer, maskID: Self.tokenizer.maskId!, probability: 0.5, wholeWords: false),
                         Self.sequences(count: 100, length: 128, seed: 2))
        assertBinomial(half.chosen, trials: half.candidates, probability: 0.5, "chosen at 0.5")
    }

    /// A word is a token and the `##` pieces after it: chosen whole or not at all, never split;
    /// round(128 x 0.15) = 19 tokens per sequence at most, and the 80/10/10 rule per token.
    func testWholeWordMaskingNeverSplitsAWord() {
        let masking = TokenMasking(tokenizer: Self.tokenizer, maskID: Self.tokenizer.maskId!, probability: 0.15, wholeWords: true)
        let tokens = Self.tokenizer.vocabulary.tokens
        var splitWords = 0, wholeWords = 0, piecesInChosenWords = 0, sequencesAtTarget = 0
        let sequences = Self.sequences(count: 900, length: 128, seed: 3)
        let counts = count(masking, sequences) { ids, chosen in
            XCTAssertLessThanOrEqual(chosen.filter { $0 }.count, 19)
            if chosen.filter({ $0 }).count == 19 { sequencesAtTarget += 1 }
            var start = 0
            while start < ids.count {
                var end = start + 1
                while end < ids.count && tokens[Int(ids[end])].hasPrefix("##") { end += 1 }
                let word = start..<end
                let special = word.contains { Self.tokenizer.specialIds.contains(Int(ids[$0])) }
                let picked = word.filter { chosen[$0] }.count
                if !special && picked > 0 {
                    if picked == word.count { wholeWords += 1; piecesInChosenWords += word.count - 1 } else { splitWords += 1 }
                }
                start = end
            }
        }
        XCTAssertEqual(splitWords, 0, "no word is chosen in part")
        XCTAssertGreaterThan(wholeWords, 5_000)
        XCTAssertGreaterThan(piecesInChosenWords, 1_000, "words of several pieces are chosen too")
        // (a taken [UNK] or [MASK] word uses budget and is then left out, as in transformers)
        XCTAssertGreaterThan(sequencesAtTarget, 400, "the budget is often filled exactly")
        assertBinomial(counts.masked, trials: counts.chosen, probability: 0.8, "[MASK]")
        assertBinomial(counts.replaced, trials: counts.chosen, probability: 0.1, "random token")
        assertBinomial(counts.kept, trials: counts.chosen, probability: 0.1, "kept")
        // the same draws with single tokens split words all the time: the check above can fail
        var split = 0
        _ = count(TokenMasking(tokenizer: Self.tokenizer, maskID: Self.tokenizer.maskId!, probability: 0.15, wholeWords: false),
                  sequences) { ids, chosen in
            for j in 1..<ids.count where tokens[Int(ids[j])].hasPrefix("##") && chosen[j] != chosen[j - 1]
                && !Self.tokenizer.specialIds.contains(Int(ids[j - 1])) { split += 1 }
        }
        XCTAssertGreaterThan(split, 100)
    }

    /// Random replacements are spread over the whole vocabulary.
    func testRandomReplacementsCoverTheVocabulary() {
        let masking = TokenMasking(tokenizer: Self.tokenizer, maskID: Self.tokenizer.maskId!, probability: 1, wholeWords: false)
        let ids = [Int32](repeating: 2000, count: 50_000)
        var stream = RandomStream(key: 5)
        let (inputs, _) = masking.mask(ids, stream: &stream)
        let replaced = inputs.filter { $0 != 2000 && $0 != masking.maskID }
        assertBinomial(replaced.count, trials: ids.count, probability: 0.1, "random tokens")
        let lowerHalf = replaced.filter { Int($0) < Self.tokenizer.vocabulary.count / 2 }.count
        assertBinomial(lowerHalf, trials: replaced.count, probability: 0.5, "in the lower half of the vocabulary")
    }
}
