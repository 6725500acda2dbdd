import Foundation

extension MessageRequest {
    /// Reads a stored request (`storedJSON`) back: with `JSONReader` and direct field reading, which
    /// takes a tenth of `JSONDecoder`'s time, every lease reads a batch of them. Anything this reading
    /// does not fully recognise (a key it does not know, a value of another shape) is read by
    /// `JSONDecoder` instead, so the result and the errors are always the decoder's.
    public init(storedJSON bytes: some Collection<UInt8>) throws {
        if let value = try? JSONReader.value(from: bytes), let request = StoredReading.request(value) {
            self = request
        } else {
            self = try VarselJSON.decoder().decode(MessageRequest.self, from: Data(bytes))
        }
    }
}

/// Field-by-field reading of the stored model types from a `JSONValue`; nil on anything unexpected.
enum StoredReading {
    static func request(_ value: JSONValue) -> MessageRequest? {
        guard case .object(let fields) = value,
              fields.keys.allSatisfy(requestKeys.contains),
              case .string(let kind)? = fields["kind"],
              case .object(let data)? = fields["data"],
              let recipientValue = fields["recipient"], let recipient = recipient(recipientValue),
              let idempotencyKey = optionalString(fields["idempotency_key"]),
              let caseRef = optionalString(fields["case_ref"]),
              let sendAfter = optionalDate(fields["send_after"]),
              let expiresAt = optionalDate(fields["expires_at"]),
              let planStep = optional(fields["plan_step"], planStep)
        else { return nil }
        var request = MessageRequest(
            idempotencyKey: idempotencyKey, kind: kind, caseRef: caseRef, recipient: recipient, data: data, sendAfter: sendAfter,
            expiresAt: expiresAt)
        request.planStep = planStep
        return request
    }

    /// A message's fields, and the plan step only the daemon sets.
    static let requestKeys = MessageValidator.messageFields.union(["plan_step"])
    static let recipientKeys = MessageValidator.recipientFields
    static let addressKeys = MessageValidator.addressFields

    static func recipient(_ value: JSONValue) -> Recipient? {
        guard case .object(let fields) = value, fields.keys.allSatisfy(recipientKeys.contains),
              let optOut = fields["opt_out"].flatMap(channels),
              let id = optionalString(fields["id"]), let name = optionalString(fields["name"]),
              let locale = optionalString(fields["locale"]), let country = optionalString(fields["country"]),
              let timezone = optionalString(fields["timezone"]), let phone = optionalString(fields["phone"]),
              let email = optionalString(fields["email"]),
              let tone = optional(fields["tone"], { value in stringValue(value).flatMap(Tone.init(rawValue:)) }),
              let channelList = optional(fields["channels"], channels),
              let address = optional(fields["address"], address),
              let consents = optional(fields["consents"], { value in array(value, consent) })
        else { return nil }
        var recipient = Recipient(
            id: id, name: name, locale: locale, country: country, timezone: timezone, tone: tone, channels: channelList, optOut: optOut,
            phone: phone, email: email, address: address)
        recipient.consents = consents
        return recipient
    }

    static func address(_ value: JSONValue) -> PostalAddress? {
        guard case .object(let fields) = value, fields.keys.allSatisfy(addressKeys.contains),
              let lines = fields["lines"].flatMap({ array($0, stringValue) }),
              let postalCode = optionalString(fields["postal_code"]), let city = optionalString(fields["city"]),
              let country = optionalString(fields["country"])
        else { return nil }
        return PostalAddress(lines: lines, postalCode: postalCode, city: city, country: country)
    }

    static func consent(_ value: JSONValue) -> Consent? {
        guard case .object(let fields) = value, fields.keys.allSatisfy(["type", "channel", "address", "given_at", "expires_at"].contains),
              let type = fields["type"].flatMap(stringValue).flatMap(Consent.Kind.init(rawValue:)),
              let channel = fields["channel"].flatMap(stringValue).flatMap(Channel.init(rawValue:)),
              let address = optionalString(fields["address"]),
              let givenAt = fields["given_at"].flatMap(stringValue).flatMap(RFC3339.parseTimestamp),
              let expiresAt = optionalDate(fields["expires_at"])
        else { return nil }
        return Consent(type: type, channel: channel, address: address, givenAt: givenAt, expiresAt: expiresAt)
    }

    static func planStep(_ value: JSONValue) -> PlanStepRef? {
        guard case .object(let fields) = value, fields.keys.allSatisfy(["plan", "step", "deadline_days", "timing"].contains),
              let plan = fields["plan"].flatMap(stringValue), let step = fields["step"].flatMap(stringValue),
              case .number(let days)? = fields["deadline_days"], let deadlineDays = Int(days.description),
              let timing = optional(fields["timing"], { value in stringValue(value).flatMap(PlanTiming.init(rawValue:)) })
        else { return nil }
        return PlanStepRef(plan: plan, step: step, deadlineDays: deadlineDays, timing: timing)
    }

    static func channels(_ value: JSONValue) -> [Channel]? {
        array(value) { stringValue($0).flatMap(Channel.init(rawValue:)) }
    }

    static func array<T>(_ value: JSONValue, _ element: (JSONValue) -> T?) -> [T]? {
        guard case .array(let items) = value else { return nil }
        var result: [T] = []
        result.reserveCapacity(items.count)
        for item in items {
            guard let read = element(item) else { return nil }
            result.append(read)
        }
        return result
    }

    static func stringValue(_ value: JSONValue) -> String? {
        if case .string(let text) = value { text } else { nil }
    }

    /// A member that may be absent or null: `.some(nil)` then, `.some(value)` when read, nil when unreadable.
    static func optional<T>(_ value: JSONValue?, _ read: (JSONValue) -> T?) -> T?? {
        switch value {
        case nil, .null?: return .some(nil)
        case let value?: return read(value).map { .some($0) }
        }
    }

    static func optionalString(_ value: JSONValue?) -> String?? { optional(value, stringValue) }

    static func optionalDate(_ value: JSONValue?) -> Date?? {
        optional(value) { stringValue($0).flatMap(RFC3339.parseTimestamp) }
    }
}
