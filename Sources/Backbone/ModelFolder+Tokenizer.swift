import Foundation
import Tokenizers

extension ModelFolder {
    /// The file the folder's tokenizer reads its vocabulary from (`BertTokenizer(modelFolder:)`'s
    /// rule: vocab.txt where there is one, else tokenizer.json).
    public var vocabularyURL: URL {
        FileManager.default.fileExists(atPath: vocabURL.path) ? vocabURL : tokenizerJSONURL
    }

    /// Refuses a tokenizer with more tokens than the model has rows of word embeddings: its ids
    /// from vocab_size on would index past the table, a precondition failure in the middle of a
    /// run. (Fewer tokens than rows is common and fine.)
    public func checkVocabulary(of tokenizer: BertTokenizer, against config: BertConfig) throws {
        let count = tokenizer.vocabulary.count
        guard count > config.vocabSize else { return }
        throw BackboneError.invalidConfig(configURL.path, key: "vocab_size",
                                          "\(config.vocabSize) is less than the \(count) tokens of \(vocabularyURL.path): "
                                          + "token ids from \(config.vocabSize) on would have no embedding")
    }
}
