/// The members of a message's objects under the names the contract gives them (docs/message.md),
/// each taken in one pass over the object, and the names it does not know, sorted. The validator
/// reads nearly every member of each message's message and recipient objects: looked up by name,
/// each look-up hashed the name, and the check for unknown names hashed every key once more (about
/// a fifth of the validator's time in enqueue's profile went to hashing).
///
/// The names are those of `MessageValidator.messageFields` and `recipientFields`, which reading a
/// stored request also uses; `ContractMembersTests` holds the two to each other.
struct MessageMembers {
    var idempotencyKey: JSONValue?
    var kind: JSONValue?
    var caseRef: JSONValue?
    var recipient: JSONValue?
    var data: JSONValue?
    var sendAfter: JSONValue?
    var expiresAt: JSONValue?
    private(set) var unknown: [String] = []

    init(_ object: [String: JSONValue]) {
        for (name, value) in object {
            switch name {
            case "kind": kind = value
            case "recipient": recipient = value
            case "data": data = value
            case "idempotency_key": idempotencyKey = value
            case "case_ref": caseRef = value
            case "send_after": sendAfter = value
            case "expires_at": expiresAt = value
            default: unknown.append(name)
            }
        }
        if unknown.count > 1 { unknown.sort() }
    }
}

struct RecipientMembers {
    var id: JSONValue?
    var name: JSONValue?
    var locale: JSONValue?
    var country: JSONValue?
    var timezone: JSONValue?
    var tone: JSONValue?
    var channels: JSONValue?
    var optOut: JSONValue?
    var phone: JSONValue?
    var email: JSONValue?
    var address: JSONValue?
    var consents: JSONValue?
    private(set) var unknown: [String] = []

    init(_ object: [String: JSONValue]) {
        for (name, value) in object {
            switch name {
            case "id": id = value
            case "name": self.name = value
            case "locale": locale = value
            case "country": country = value
            case "channels": channels = value
            case "phone": phone = value
            case "email": email = value
            case "address": address = value
            case "timezone": timezone = value
            case "tone": tone = value
            case "opt_out": optOut = value
            case "consents": consents = value
            default: unknown.append(name)
            }
        }
        if unknown.count > 1 { unknown.sort() }
    }

    /// Whether a contact point is given (phone, email or address, not null), valid or not.
    var givesContact: Bool {
        (phone ?? .null) != .null || (email ?? .null) != .null || (address ?? .null) != .null
    }
}
