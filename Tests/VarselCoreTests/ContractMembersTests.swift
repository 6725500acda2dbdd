import Foundation
import Testing

@testable import VarselCore

/// `MessageMembers` and `RecipientMembers` take exactly the names the contract lists
/// (`MessageValidator.messageFields`, `recipientFields`, which reading a stored request uses too):
/// each into a member of its own, every other name as unknown, sorted.
@Suite struct ContractMembersTests {
    /// The values a members struct holds, whatever its properties are called.
    static func taken(_ members: Any) -> [JSONValue] {
        Mirror(reflecting: members).children.compactMap { $0.value as? JSONValue? }.compactMap { $0 }
    }

    static func object(_ names: Set<String>) -> [String: JSONValue] {
        var object = Dictionary(uniqueKeysWithValues: names.map { ($0, JSONValue.string($0)) })
        object["zz_extra"] = .null
        object["Kind"] = .bool(true)
        object["aa_extra"] = .number(1)
        return object
    }

    @Test("every name of the message contract lands in a member of its own; others are unknown, in order")
    func message() {
        let members = MessageMembers(Self.object(MessageValidator.messageFields))
        #expect(Set(Self.taken(members)) == Set(MessageValidator.messageFields.map { JSONValue.string($0) }))
        #expect(Self.taken(members).count == MessageValidator.messageFields.count)
        #expect(members.unknown == ["Kind", "aa_extra", "zz_extra"])
        #expect(members.kind == .string("kind"))
        #expect(MessageMembers([:]).unknown.isEmpty)
    }

    @Test("every name of the recipient contract lands in a member of its own; others are unknown, in order")
    func recipient() {
        let members = RecipientMembers(Self.object(MessageValidator.recipientFields))
        #expect(Set(Self.taken(members)) == Set(MessageValidator.recipientFields.map { JSONValue.string($0) }))
        #expect(Self.taken(members).count == MessageValidator.recipientFields.count)
        #expect(members.unknown == ["Kind", "aa_extra", "zz_extra"])
        #expect(members.optOut == .string("opt_out"))
        // A contact point given as null is none.
        #expect(!RecipientMembers(["phone": .null, "email": .null, "name": .string("Kari")]).givesContact)
        #expect(RecipientMembers(["address": .object([:])]).givesContact)
    }
}
