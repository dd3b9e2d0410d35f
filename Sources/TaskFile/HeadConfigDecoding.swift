import Backbone

// `head_config:` holds whatever a head accepts, so it is decoded into JSON-like values and left
// for the head's descriptor to check. Scalars follow the rest of the file: a plain scalar that
// reads as a number is a number, as a boolean (true/false, yes/no, on/off) a boolean, a plain
// null is null; anything quoted, tagged or written as a block is a string.

extension JSONValue {
    init(yamlNode node: YAMLNode) throws {
        switch node.kind {
        case let .scalar(scalar):
            if scalar.isNull {
                self = .null
            } else if let bool = Bool(yamlScalar: scalar) {
                self = .bool(bool)
            } else if let number = Double(yamlScalar: scalar) {
                guard number.isFinite else {
                    throw TaskFileError(.invalidValue(key: "head_config"), at: node.position,
                                        "`\(scalar.value)` is not a JSON number; quote it to pass the text")
                }
                self = .number(number)
            } else {
                self = .string(scalar.value)
            }
        case let .sequence(elements):
            self = .array(try elements.map(JSONValue.init(yamlNode:)))
        case let .mapping(entries):
            var object: [String: JSONValue] = [:]
            for entry in entries { object[entry.key] = try JSONValue(yamlNode: entry.value) }
            self = .object(object)
        }
    }
}
