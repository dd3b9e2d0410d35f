import Foundation

/// A Hugging Face BERT config.json. Unknown fields are ignored; the fields BertKit reads are
/// checked, with errors naming the file and the key.
public struct BertConfig: Equatable, Sendable {
    public var vocabSize: Int
    public var hiddenSize: Int
    public var numHiddenLayers: Int
    public var numAttentionHeads: Int
    public var intermediateSize: Int
    public var hiddenAct: GELUOrReLU
    public var hiddenDropoutProb: Float
    public var attentionProbsDropoutProb: Float
    public var maxPositionEmbeddings: Int
    public var typeVocabSize: Int
    public var layerNormEps: Float
    public var initializerRange: Float
    public var padTokenID: Int
    /// `classifier_dropout` (nil: heads use hidden_dropout_prob, as transformers).
    public var classifierDropout: Float?
    /// Class names by index from `id2label`, when present.
    public var id2label: [Int: String]?
    /// `architectures`, e.g. ["BertForSequenceClassification"].
    public var architectures: [String]
    /// `problem_type` ("single_label_classification", "regression", ...), when present.
    public var problemType: String?
    /// Every field of the file, so that saving keeps what BertKit does not read.
    public var raw: [String: JSONValue]

    public enum GELUOrReLU: String, Sendable { case gelu, geluNew = "gelu_new", relu }

    public var headSize: Int { hiddenSize / numAttentionHeads }

    /// A config with BERT-base's defaults for everything not given.
    public init(vocabSize: Int = 30522, hiddenSize: Int = 768, numHiddenLayers: Int = 12, numAttentionHeads: Int = 12,
                intermediateSize: Int = 3072, hiddenAct: GELUOrReLU = .gelu, hiddenDropoutProb: Float = 0.1,
                attentionProbsDropoutProb: Float = 0.1, maxPositionEmbeddings: Int = 512, typeVocabSize: Int = 2,
                layerNormEps: Float = 1e-12, initializerRange: Float = 0.02, padTokenID: Int = 0) {
        self.vocabSize = vocabSize
        self.hiddenSize = hiddenSize
        self.numHiddenLayers = numHiddenLayers
        self.numAttentionHeads = numAttentionHeads
        self.intermediateSize = intermediateSize
        self.hiddenAct = hiddenAct
        self.hiddenDropoutProb = hiddenDropoutProb
        self.attentionProbsDropoutProb = attentionProbsDropoutProb
        self.maxPositionEmbeddings = maxPositionEmbeddings
        self.typeVocabSize = typeVocabSize
        self.layerNormEps = layerNormEps
        self.initializerRange = initializerRange
        self.padTokenID = padTokenID
        self.classifierDropout = nil
        self.id2label = nil
        self.architectures = ["BertModel"]
        self.problemType = nil
        self.raw = [:]
    }

    /// Reads and checks `url` (a config.json).
    public init(contentsOf url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw BackboneError.unreadableFile(url.path, error.localizedDescription)
        }
        guard let json = try? JSONDecoder().decode([String: JSONValue].self, from: data) else {
            throw BackboneError.invalidConfig(url.path, key: nil, "not a JSON object")
        }
        try self.init(json: json, path: url.path)
    }

    public init(json: [String: JSONValue], path: String) throws {
        func int(_ key: String, default value: Int? = nil, allowZero: Bool = false) throws -> Int {
            guard let raw = json[key], raw != .null else {
                guard let value else { throw BackboneError.invalidConfig(path, key: key, "missing") }
                return value
            }
            guard case .number(let d) = raw, d == d.rounded(), d > 0 || (allowZero && d == 0) else {
                throw BackboneError.invalidConfig(path, key: key, "expected a positive integer, found \(raw)")
            }
            // Int(d) traps past Int.max (1e20 would abort the process)
            guard let exact = Int(exactly: d) else {
                throw BackboneError.invalidConfig(path, key: key, "\(d) is too large for a 64-bit integer")
            }
            return exact
        }
        func float(_ key: String, default value: Float) throws -> Float {
            guard let raw = json[key], raw != .null else { return value }
            guard case .number(let d) = raw else {
                throw BackboneError.invalidConfig(path, key: key, "expected a number, found \(raw)")
            }
            // 1e212 is a finite Double and an infinite Float: layer norm would divide by inf,
            // and the checkpoint's config.json could not be written back (JSON has no inf)
            guard Float(d).isFinite else {
                throw BackboneError.invalidConfig(path, key: key, "\(d) does not fit a 32-bit float")
            }
            return Float(d)
        }
        // layer norm's epsilon and the initializer's standard deviation
        func nonNegative(_ key: String, default value: Float) throws -> Float {
            let x = try float(key, default: value)
            guard x >= 0 else { throw BackboneError.invalidConfig(path, key: key, "\(x) is negative: expected a number >= 0") }
            return x
        }
        // the dropout ops refuse p >= 1 with a precondition, which would abort the process mid-run
        func probability(_ key: String, default value: Float) throws -> Float {
            let p = try float(key, default: value)
            guard p >= 0 && p < 1 else {
                throw BackboneError.invalidConfig(path, key: key, "\(p) is not a dropout probability in [0, 1)")
            }
            return p
        }
        self.init()
        vocabSize = try int("vocab_size")
        hiddenSize = try int("hidden_size")
        numHiddenLayers = try int("num_hidden_layers")
        numAttentionHeads = try int("num_attention_heads")
        intermediateSize = try int("intermediate_size")
        maxPositionEmbeddings = try int("max_position_embeddings", default: 512)
        typeVocabSize = try int("type_vocab_size", default: 2)
        padTokenID = try int("pad_token_id", default: 0, allowZero: true)
        var activation = "gelu"
        if let raw = json["hidden_act"] {
            guard case .string(let name) = raw else { throw BackboneError.invalidConfig(path, key: "hidden_act", "expected a string, found \(raw)") }
            activation = name
        }
        guard let act = GELUOrReLU(rawValue: activation) else {
            throw BackboneError.invalidConfig(path, key: "hidden_act", "`\(activation)` is not supported (gelu, gelu_new or relu)")
        }
        hiddenAct = act
        hiddenDropoutProb = try probability("hidden_dropout_prob", default: 0.1)
        attentionProbsDropoutProb = try probability("attention_probs_dropout_prob", default: 0.1)
        layerNormEps = try nonNegative("layer_norm_eps", default: 1e-12)
        initializerRange = try nonNegative("initializer_range", default: 0.02)
        if let raw = json["classifier_dropout"], raw != .null { classifierDropout = try probability("classifier_dropout", default: 0.1) }
        if let raw = json["num_labels"], raw != .null { _ = try int("num_labels") }
        guard hiddenSize % numAttentionHeads == 0 else {
            throw BackboneError.invalidConfig(path, key: "num_attention_heads", "hidden_size \(hiddenSize) is not a multiple of \(numAttentionHeads) heads")
        }
        if case .string(let kind)? = json["position_embedding_type"], kind != "absolute" {
            throw BackboneError.invalidConfig(path, key: "position_embedding_type", "`\(kind)` is not supported (absolute)")
        }
        if case .object(let labels)? = json["id2label"] {
            var map: [Int: String] = [:]
            for (key, value) in labels {
                guard let index = Int(key), case .string(let name) = value else {
                    throw BackboneError.invalidConfig(path, key: "id2label", "entry `\(key)` is not an integer index with a string name")
                }
                map[index] = name
            }
            id2label = map
        }
        if case .array(let names)? = json["architectures"] {
            architectures = names.compactMap { if case .string(let s) = $0 { return s } else { return nil } }
        }
        if case .string(let kind)? = json["problem_type"] { problemType = kind }
        raw = json
        try checkSizes(path: path)
    }

    /// `num_labels` (checked on read): transformers' label count for a config without id2label.
    public var numLabels: Int? {
        guard case .number(let n)? = raw["num_labels"] else { return nil }
        return Int(exactly: n)
    }

    /// Class names in index order from id2label (nil when absent).
    public var labelNames: [String]? {
        guard let id2label, !id2label.isEmpty else { return nil }
        return (0..<id2label.count).map { id2label[$0] ?? "LABEL_\($0)" }
    }

    /// The config as JSON, keeping every field read plus BertKit's values.
    public var json: [String: JSONValue] {
        var json = raw
        json["vocab_size"] = .number(Double(vocabSize))
        json["hidden_size"] = .number(Double(hiddenSize))
        json["num_hidden_layers"] = .number(Double(numHiddenLayers))
        json["num_attention_heads"] = .number(Double(numAttentionHeads))
        json["intermediate_size"] = .number(Double(intermediateSize))
        json["hidden_act"] = .string(hiddenAct.rawValue)
        json["hidden_dropout_prob"] = .number(Double(hiddenDropoutProb))
        json["attention_probs_dropout_prob"] = .number(Double(attentionProbsDropoutProb))
        json["max_position_embeddings"] = .number(Double(maxPositionEmbeddings))
        json["type_vocab_size"] = .number(Double(typeVocabSize))
        json["layer_norm_eps"] = .number(Double(layerNormEps))
        json["initializer_range"] = .number(Double(initializerRange))
        json["pad_token_id"] = .number(Double(padTokenID))
        json["model_type"] = .string("bert")
        json["architectures"] = .array(architectures.map(JSONValue.string))
        if let names = labelNames {
            json["id2label"] = .object(Dictionary(uniqueKeysWithValues: names.enumerated().map { (String($0.offset), .string($0.element)) }))
            // two classes of one name (an id2label as read) keep the later index, as transformers'
            // {label: id} does; uniqueKeysWithValues would trap while saving a checkpoint
            json["label2id"] = .object(Dictionary(names.enumerated().map { ($0.element, .number(Double($0.offset))) },
                                                  uniquingKeysWith: { _, later in later }))
        }
        if let problemType { json["problem_type"] = .string(problemType) }
        return json
    }

    public func write(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(json).write(to: url)
    }
}
