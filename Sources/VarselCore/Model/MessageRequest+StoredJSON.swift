import Foundation

extension MessageRequest {
    /// The request as it is stored and hashed: byte for byte what `VarselJSON.encoder()` writes for it
    /// (keys sorted, no whitespace, slashes unescaped, RFC 3339 timestamps), written directly. The
    /// encoder took about a fifth of an enqueue's CPU; stored hashes of earlier requests stay valid
    /// because the bytes are the same (`StoredJSONTests` holds the two together).
    public var storedJSON: [UInt8] {
        var writer = CompactJSONWriter()
        writer.write(self)
        return writer.bytes
    }

    /// `storedJSON`, and the digest of the same request without its idempotency key (what tells a
    /// retried enqueue from a reuse of the key), from one writing: the key's member is left out of
    /// the digest, not written a second time without it.
    public var storedJSONAndKeylessDigest: (json: [UInt8], keylessDigest: String) {
        var writer = CompactJSONWriter()
        let keyMember = writer.write(self)
        let bytes = writer.bytes
        guard let keyMember else { return (bytes, Digest.sha256(bytes[...])) }
        return (bytes, Digest.sha256(bytes[..<keyMember.lowerBound], bytes[keyMember.upperBound...]))
    }
}

extension RenderedContent {
    /// The content as the store keeps it: byte for byte what `VarselJSON.encoder()` writes.
    public var storedJSON: [UInt8] {
        var writer = CompactJSONWriter(capacity: 256 + text.utf8.count + (html?.utf8.count ?? 0))
        writer.write(self)
        return writer.bytes
    }
}

/// Writes the model types as `JSONEncoder` with `[.sortedKeys, .withoutEscapingSlashes]` does. Each
/// type's members are written in the order of their sorted JSON keys; optional members left out
/// when nil, as the synthesized `Encodable` does with `encodeIfPresent`.
extension CompactJSONWriter {
    /// Writes the request; returns where its `idempotency_key` member lies in `bytes` with the comma
    /// before it (`data` always precedes it), so that removing that range leaves the request without it.
    @discardableResult
    mutating func write(_ request: MessageRequest) -> Range<Int>? {
        var object = ObjectState()
        if let caseRef = request.caseRef { key("case_ref", &object); string(caseRef) }
        key("data", &object); write(request.data)
        if let expiresAt = request.expiresAt { key("expires_at", &object); date(expiresAt) }
        var keyMember: Range<Int>?
        if let idempotencyKey = request.idempotencyKey {
            let start = bytes.count
            key("idempotency_key", &object); string(idempotencyKey)
            keyMember = start..<bytes.count
        }
        key("kind", &object); string(request.kind)
        if let step = request.planStep { key("plan_step", &object); write(step) }
        key("recipient", &object); write(request.recipient)
        if let sendAfter = request.sendAfter { key("send_after", &object); date(sendAfter) }
        end(object)
        return keyMember
    }

    mutating func write(_ content: RenderedContent) {
        var object = ObjectState()
        key("channel", &object); string(content.channel.rawValue)
        key("content_hash", &object); string(content.contentHash)
        if let html = content.html { key("html", &object); string(html) }
        if let sms = content.sms {
            key("sms", &object)
            var info = ObjectState()
            key("encoding", &info); string(sms.encoding.rawValue)
            key("segments", &info); integer(sms.segments)
            end(info)
        }
        if let subject = content.subject { key("subject", &object); string(subject) }
        key("template_id", &object); string(content.templateID)
        key("template_version", &object); string(content.templateVersion)
        key("text", &object); string(content.text)
        if let variant = content.variant { key("variant", &object); string(variant) }
        end(object)
    }

    mutating func write(_ recipient: Recipient) {
        var object = ObjectState()
        if let address = recipient.address { key("address", &object); write(address) }
        if let channels = recipient.channels { key("channels", &object); write(channels) }
        if let consents = recipient.consents {
            key("consents", &object)
            array(consents) { $0.write($1) }
        }
        if let country = recipient.country { key("country", &object); string(country) }
        if let email = recipient.email { key("email", &object); string(email) }
        if let id = recipient.id { key("id", &object); string(id) }
        if let locale = recipient.locale { key("locale", &object); string(locale) }
        if let name = recipient.name { key("name", &object); string(name) }
        key("opt_out", &object); write(recipient.optOut)
        if let phone = recipient.phone { key("phone", &object); string(phone) }
        if let timezone = recipient.timezone { key("timezone", &object); string(timezone) }
        if let tone = recipient.tone { key("tone", &object); string(tone.rawValue) }
        end(object)
    }

    mutating func write(_ address: PostalAddress) {
        var object = ObjectState()
        if let city = address.city { key("city", &object); string(city) }
        if let country = address.country { key("country", &object); string(country) }
        key("lines", &object); array(address.lines) { $0.string($1) }
        if let postalCode = address.postalCode { key("postal_code", &object); string(postalCode) }
        end(object)
    }

    mutating func write(_ consent: Consent) {
        var object = ObjectState()
        if let address = consent.address { key("address", &object); string(address) }
        key("channel", &object); string(consent.channel.rawValue)
        if let expiresAt = consent.expiresAt { key("expires_at", &object); date(expiresAt) }
        key("given_at", &object); date(consent.givenAt)
        key("type", &object); string(consent.type.rawValue)
        end(object)
    }

    mutating func write(_ step: PlanStepRef) {
        var object = ObjectState()
        key("deadline_days", &object); integer(step.deadlineDays)
        key("plan", &object); string(step.plan)
        key("step", &object); string(step.step)
        if let timing = step.timing { key("timing", &object); string(timing.rawValue) }
        end(object)
    }

    mutating func write(_ channels: [Channel]) {
        array(channels) { $0.string($1.rawValue) }
    }

    mutating func write(_ value: JSONValue) {
        switch value {
        case .null: null()
        case .bool(let flag): bool(flag)
        case .number(let number): decimal(number)
        case .string(let text): string(text)
        case .array(let items): array(items) { $0.write($1) }
        case .object(let members): write(members)
        }
    }

    /// An object of arbitrary keys, in the order of their UTF-8 bytes as the encoder sorts them (not
    /// String's `<`, which compares canonical forms: a decomposed é sorts by its e).
    mutating func write(_ members: [String: JSONValue]) {
        var object = ObjectState()
        for (name, value) in members.sorted(by: { Self.utf8Precedes($0.key, $1.key) }) {
            key(name, &object)
            write(value)
        }
        end(object)
    }

    private mutating func date(_ date: Date) { string(RFC3339.format(date)) }

    /// Whether `a`'s UTF-8 bytes sort before `b`'s: compared in place, as memory, where the UTF-8
    /// view's generic comparison showed in enqueue's profile.
    static func utf8Precedes(_ a: String, _ b: String) -> Bool {
        let inPlace = a.utf8.withContiguousStorageIfAvailable { first in
            b.utf8.withContiguousStorageIfAvailable { second in
                let common = min(first.count, second.count)
                let order = common == 0 ? 0 : memcmp(first.baseAddress!, second.baseAddress!, common)
                return order != 0 ? order < 0 : first.count < second.count
            }
        }
        return (inPlace ?? nil) ?? a.utf8.lexicographicallyPrecedes(b.utf8)
    }
}
