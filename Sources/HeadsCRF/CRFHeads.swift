import Heads

/// The CRF head's descriptor. `bertkit`'s main.swift registers it (`CRFHeads.register()`);
/// a task uses it with `head: token-classification-crf` (same data and task kind as
/// `token-classification`) and optionally `head_config: {constrain_iob2: false}`.
public enum CRFHeads {
    public static let architecture = "BertForTokenClassificationCRF"

    public static let tokenClassificationCRF = HeadDescriptor(
        name: "token-classification-crf", architecture: architecture, taskKind: "token-classification",
        summary: "one tag per word (NER) with a linear-chain CRF: emissions from the classifier, Viterbi decoding",
        optionKeys: ["constrain_iob2"]) { context in
            var constrain = true
            if let value = context.options["constrain_iob2"] {
                guard case .bool(let flag) = value else {
                    throw HeadError.invalidConfig(head: "token-classification-crf", "`constrain_iob2` must be true or false, found \(value)")
                }
                constrain = flag
            }
            return CRFTokenClassificationHead(hiddenSize: context.config.hiddenSize, labels: context.labels,
                                              dropout: context.classifierDropout, constrainIOB2: constrain)
        }

    public static func register() { HeadRegistry.register(tokenClassificationCRF) }
}
