import Foundation

/// Any JSON value, kept as it came (numbers as `Decimal`, so amounts keep their digits).
public enum JSONValue: Sendable, Hashable, Codable {
    case null
    case bool(Bool)
    case number(Decimal)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode(Decimal.self) {
            self = .number(value)
        } else {
            // An array or an object; anything else is a number no decimal can hold (1e400, 1e-300),
            // reported at its own path, also from deep inside an array or object.
            do {
                self = .array(try container.decode([JSONValue].self))
                return
            } catch let error as JSONNumberOutOfRange {
                throw error
            } catch {}
            do {
                self = .object(try container.decode([String: JSONValue].self))
                return
            } catch let error as JSONNumberOutOfRange {
                throw error
            } catch {}
            throw JSONNumberOutOfRange(path: JSONNumberOutOfRange.fieldPath(decoder.codingPath))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// The JSON type name, for error messages.
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    /// A scalar's text: strings as they are, numbers in plain decimal notation, booleans as true/false.
    public var scalarText: String? {
        switch self {
        case .string(let value): value
        case .number(let value): "\(value)"
        case .bool(let value): value ? "true" : "false"
        case .null, .array, .object: nil
        }
    }
}

/// A JSON number too large or too small for a decimal (e.g. `1e400`, `1e-300`), at `path`
/// (`data.amount`, `data.installments[0].amount`).
public struct JSONNumberOutOfRange: Error, Sendable {
    public let path: String

    static func fieldPath(_ codingPath: [any CodingKey]) -> String {
        var path = ""
        for key in codingPath {
            if let index = key.intValue {
                path += "[\(index)]"
            } else {
                path += path.isEmpty ? key.stringValue : "." + key.stringValue
            }
        }
        return path
    }
}
