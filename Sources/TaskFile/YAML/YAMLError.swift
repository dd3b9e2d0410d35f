// The one error type of the YAML layer: a kind (for code and tests to match on), the position it
// points at, and a message written for the person editing the task file.

struct YAMLError: Error, Equatable, Sendable, CustomStringConvertible {
    enum Kind: Equatable, Sendable {
        /// The file could not be read at all.
        case unreadableFile
        /// The bytes are not valid UTF-8.
        case invalidUTF8
        /// libyaml rejected the text; the message carries libyaml's own problem text.
        case syntax
        /// The file holds no document (empty, or only comments).
        case emptyFile
        /// More than one `---` document.
        case multipleDocuments
        /// The same key twice in one mapping; `firstLine` is where it first appeared.
        case duplicateKey(key: String, firstLine: Int?)
        /// An alias to an anchor that does not exist (yet), or that contains the alias.
        case undefinedAlias(String)
        /// Alias expansion or nesting went past the node or depth limit (billion laughs).
        case tooLarge
        /// A mapping key that is not a scalar, or a `<<` merge of something that is not a mapping.
        case unsupported
        /// A value of the wrong kind, e.g. `abc` where an integer was expected.
        case typeMismatch
        /// A required key is absent; the position is the mapping that lacks it.
        case missingKey(String)
        /// A key the decoder does not know; `suggestion` is the closest allowed key, if any is close.
        case unknownKey(key: String, suggestion: String?)
        /// `${NAME}` with NAME unset and no default.
        case unsetVariable(String)
        /// `${` without a closing brace, or a name that is not `[A-Za-z_][A-Za-z0-9_]*`.
        case malformedVariable
        /// A `--set` override that is malformed or addresses nothing.
        case badOverride
    }

    let kind: Kind
    let position: YAMLPosition
    let message: String

    init(_ kind: Kind, at position: YAMLPosition, _ message: String) {
        self.kind = kind
        self.position = position
        self.message = message
    }

    /// `path:line:column: message` (or `--set key=value: message`).
    var description: String { "\(position): \(message)" }
}
