import Foundation
import VarselCore

/// The data a kind of message carries, declared by operators in `_schema/<kind>.yaml`: every field a
/// template may read, its type, whether a message must carry it, and on which channels every
/// template of the kind must show it.
public struct KindSchema: Sendable, Hashable {
    public let kind: String
    public let fields: [String: FieldSpec]
    /// Where the schema came from, relative to the template directory.
    public let file: String

    public init(kind: String, fields: [String: FieldSpec], file: String) {
        self.kind = kind
        self.fields = fields
        self.file = file
    }

    /// The type of a top-level field, falling back to Varsel's built-in type for well-known names.
    public func type(of name: String) -> FieldType {
        fields[name]?.type ?? FieldType(DataFieldType.of(name))
    }
}

/// One declared field. Its members are kept in one shared, immutable box: enqueue's schema check
/// looks fields up for every message, and copying the members themselves (a set, texts, a nested
/// type) showed in its profile; a copy of the box is one reference.
public struct FieldSpec: Sendable, Hashable {
    public var type: FieldType { members.type }
    public var required: Bool { members.required }
    /// Channels on which every template of the kind must print this field.
    public var mustShow: Set<Channel> { members.mustShow }
    /// One line for the operator: what the field means.
    public var about: String { members.about }
    /// Where it is declared: line and column in the schema file.
    public var line: Int { members.line }
    public var column: Int { members.column }
    /// For money and number: the smallest value allowed (`minimum`), or the value it must exceed
    /// (`exclusive_minimum`, e.g. 0 for an amount to pay).
    public var minimum: Decimal? {
        get { members.minimum }
        set { change { $0.minimum = newValue } }
    }
    public var exclusiveMinimum: Decimal? {
        get { members.exclusiveMinimum }
        set { change { $0.exclusiveMinimum = newValue } }
    }
    /// For text: whether line breaks are allowed (`multiline: true`); text is one line otherwise.
    public var multiline: Bool {
        get { members.multiline }
        set { change { $0.multiline = newValue } }
    }

    private var box: Box
    private var members: Members { box.members }

    public init(type: FieldType, required: Bool, mustShow: Set<Channel> = [], about: String = "", line: Int = 1, column: Int = 1) {
        box = Box(Members(type: type, required: required, mustShow: mustShow, about: about, line: line, column: column))
    }

    /// A new box with one member changed: boxes are shared, never written.
    private mutating func change(_ body: (inout Members) -> Void) {
        var changed = members
        body(&changed)
        box = Box(changed)
    }

    public static func == (lhs: FieldSpec, rhs: FieldSpec) -> Bool { lhs.box === rhs.box || lhs.members == rhs.members }

    public func hash(into hasher: inout Hasher) { hasher.combine(members) }

    private struct Members: Sendable, Hashable {
        let type: FieldType
        let required: Bool
        let mustShow: Set<Channel>
        let about: String
        let line: Int
        let column: Int
        var minimum: Decimal?
        var exclusiveMinimum: Decimal?
        var multiline = false
    }

    private final class Box: Sendable {
        let members: Members
        init(_ members: Members) { self.members = members }
    }
}

/// What a field holds. Scalars are formatted for the template's locale at render time.
public indirect enum FieldType: Sendable, Hashable, CustomStringConvertible {
    case text
    case number
    case money
    case currency
    case date
    case url
    case flag
    /// A list of objects with these fields, or of scalars when `fields` is nil.
    case list(item: FieldType)
    case object(fields: [String: FieldSpec])

    init(_ builtIn: DataFieldType) {
        switch builtIn {
        case .money: self = .money
        case .currency: self = .currency
        case .date: self = .date
        case .url: self = .url
        case .text: self = .text
        }
    }

    /// The scalar names accepted in a schema file.
    static let scalarNames: [String: FieldType] = [
        "text": .text, "number": .number, "money": .money, "currency": .currency, "date": .date, "url": .url, "flag": .flag,
    ]

    /// How the renderer formats a scalar of this type.
    var formatting: DataFieldType {
        switch self {
        case .money: .money
        case .currency: .currency
        case .date: .date
        case .url: .url
        default: .text
        }
    }

    var isScalar: Bool {
        switch self {
        case .list, .object: false
        default: true
        }
    }

    public var description: String {
        switch self {
        case .text: "text"
        case .number: "number"
        case .money: "money"
        case .currency: "currency"
        case .date: "date"
        case .url: "url"
        case .flag: "flag"
        case .list(let item): "list of \(item)"
        case .object: "object"
        }
    }
}
