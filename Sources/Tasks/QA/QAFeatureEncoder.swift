import Foundation
import Heads
import Tokenizers

/// Question + context -> windows, as run_qa.py's prepare_train_features and
/// prepare_validation_features: the question left-stripped, `[CLS] question [SEP] context [SEP]`
/// cut with truncation only_second into windows of `maxSeqLength` tokens, consecutive windows
/// sharing `docStride` context tokens (transformers' `stride`). Features are not padded: the
/// batcher pads each batch to its longest feature.
struct QAFeatureEncoder {
    public var tokenizer: BertTokenizer
    public var maxSeqLength: Int
    public var docStride: Int

    public init(tokenizer: BertTokenizer, maxSeqLength: Int, docStride: Int) {
        self.tokenizer = tokenizer
        self.maxSeqLength = maxSeqLength
        self.docStride = docStride
    }

    /// One question to encode; `answer` (code points in the context) labels its windows, and
    /// `labelled: false` leaves them without labels (prediction).
    public struct Input {
        public var id: String
        public var question: String
        public var context: String
        public var answer: Range<Int>?
        public var labelled: Bool

        public init(id: String, question: String, context: String, answer: Range<Int>?, labelled: Bool) {
            self.id = id
            self.question = question
            self.context = context
            self.answer = answer
            self.labelled = labelled
        }
    }

    /// The features of the inputs, in input order (an input's windows in context order), and
    /// what post-processing needs of each.
    public func encode(_ inputs: [Input]) throws -> (features: [EncodedFeature], windows: [QAWindow]) {
        let truncation = Truncation(maxLength: maxSeqLength, strategy: .onlySecond, stride: docStride)
        let pairs = inputs.map { TokenizerInput.text(Self.pythonLStrip($0.question), pair: $0.context) }
        let batch: BatchEncoding
        do {
            batch = try tokenizer.encodeBatch(pairs, truncation: truncation, padding: nil,
                                              threads: ProcessInfo.processInfo.activeProcessorCount)
        } catch {
            // Say which question cannot be cut into windows (a question longer than the window, a
            // stride too large for the room left to the context).
            for (input, pair) in zip(inputs, pairs) {
                do { _ = try tokenizer.encode(pair, truncation: truncation) } catch {
                    throw TaskError.invalid("question `\(input.id)`: cannot make windows of max_seq_length \(maxSeqLength) "
                                            + "with doc_stride \(docStride): \(error)")
                }
            }
            throw error
        }
        var features: [EncodedFeature] = []
        var windows: [QAWindow] = []
        features.reserveCapacity(batch.encodings.count)
        windows.reserveCapacity(batch.encodings.count)
        for (encoding, index) in zip(batch.encodings, batch.windowToInput) {
            let offsets: [Range<Int>?] = zip(encoding.offsets, encoding.sequenceIds).map { $1 == 1 ? $0 : nil }
            var feature = EncodedFeature(inputIDs: encoding.ids.map(Int32.init), tokenTypeIDs: encoding.typeIds.map(Int32.init),
                                         exampleIndex: index)
            if inputs[index].labelled {
                let (start, end) = QAAnswerLabels.positions(contextOffsets: offsets, answer: inputs[index].answer)
                feature.targets = SpanPositions(starts: [start], ends: [end])
            }
            features.append(feature)
            windows.append(QAWindow(exampleIndex: index, contextOffsets: offsets))
        }
        return (features, windows)
    }

    /// Python's `str.lstrip()`: drops leading whitespace (Unicode White_Space, plus the
    /// separators U+001C...U+001F that Python also counts).
    public static func pythonLStrip(_ text: String) -> String {
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !isPythonSpace($0) }) else { return "" }
        return String(scalars[first...])
    }

    static func isPythonSpace(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isWhitespace || (0x1C...0x1F).contains(scalar.value)
    }
}
