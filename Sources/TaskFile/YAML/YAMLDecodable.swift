// The decoding protocols. A type that can be read from a task-file node conforms to
// YAMLDecodable; a type read from a single scalar (String, Int, Double, Float, Bool) conforms to
// YAMLScalarDecodable and gets its error messages ("expected an integer, found `abc`") for free.
// Hand-written rather than Swift's Decodable so that every error keeps the node's exact position.

protocol YAMLDecodable {
    /// Decodes a value from `node`, throwing a YAMLError positioned inside `node` if it cannot.
    init(yaml node: YAMLNode) throws
    /// What the decoder expected, for messages: "an integer", "a list of strings", "a mapping".
    static var yamlExpectation: String { get }
}

extension YAMLDecodable {
    static var yamlExpectation: String { "a mapping" }
}

protocol YAMLScalarDecodable: YAMLDecodable {
    /// The value for `scalar`, or nil if its text is not one. Never called for a null scalar.
    init?(yamlScalar scalar: YAMLScalar)
}

extension YAMLScalarDecodable {
    init(yaml node: YAMLNode) throws {
        self = try Self.decode(node, forKey: nil)
    }

    /// Decodes `node`; `key`, when given, is named in the error message.
    static func decode(_ node: YAMLNode, forKey key: String?) throws -> Self {
        let prefix = key.map { "`\($0)`: " } ?? ""
        guard let scalar = node.scalar, !scalar.isNull else {
            var message = "\(prefix)expected \(yamlExpectation), found \(node.foundDescription)"
            if node.isNull && Self.self == String.self { message += " (quote it, \"\(node.scalar?.value ?? "")\", to mean the text)" }
            throw YAMLError(.typeMismatch, at: node.position, message)
        }
        if let value = Self(yamlScalar: scalar) { return value }
        var message = "\(prefix)expected \(yamlExpectation), found \(node.foundDescription)"
        // `"42"` where a number is wanted: the quotes are the mistake, say so.
        if !scalar.isPlainUntagged && Self(yamlScalar: YAMLScalar(scalar.value)) != nil {
            message += " (remove the quotes or tag: a quoted value is always a string)"
        }
        throw YAMLError(.typeMismatch, at: node.position, message)
    }
}

extension Array: YAMLDecodable where Element: YAMLDecodable {
    /// "a list of strings", "a list of integers"; "a list, each a boolean (true or false)" when
    /// the element's wording does not pluralise by an "s".
    static var yamlExpectation: String {
        let element = Element.yamlExpectation
        for article in ["an ", "a "] where element.hasPrefix(article) && !element.contains(" ", after: article.count) {
            return "a list of \(element.dropFirst(article.count))s"
        }
        return "a list, each \(element)"
    }

    init(yaml node: YAMLNode) throws {
        guard let elements = node.sequenceElements else {
            var message = "expected \(Self.yamlExpectation), found \(node.foundDescription)"
            if let scalar = node.scalar, !scalar.isNull { message += " (write [\(scalar.value)] for a list of one)" }
            throw YAMLError(.typeMismatch, at: node.position, message)
        }
        self = try elements.map { try Element(yaml: $0) }
    }
}

extension String {
    fileprivate func contains(_ character: Character, after offset: Int) -> Bool {
        dropFirst(offset).contains(character)
    }
}
