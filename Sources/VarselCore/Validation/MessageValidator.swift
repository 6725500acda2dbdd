import Foundation

/// Turns a producer's JSON into a `MessageRequest`, or names every field at fault (docs/message.md; docs/guarantees.md §6).
///
/// Unknown fields are refused rather than ignored, so a misspelt `sendAfter` cannot silently send now.
public struct MessageValidator: Sendable {
    /// Checks a message's `data` against what its kind's templates declare (required fields, types);
    /// returns the problems by field. Called only for data that passed the validator's own rules by
    /// field name (`DataFieldType`), so it need not judge those again.
    public typealias DataCheck = @Sendable (_ kind: String, _ data: [String: JSONValue]) -> [ValidationError]

    /// Where the data check comes from: one check, or the check of a set that can change (the
    /// daemon's templates, reloaded when edited), asked for the check in force.
    public enum DataChecking: Sendable {
        case fixed(DataCheck)
        /// Asked for each message validated, unless the validator is `pinned()`.
        case inForce(@Sendable () -> DataCheck)
    }

    public let kinds: [String: KindRule]
    public let dataChecking: DataChecking?
    /// The clock "in the past" is judged by (a deadline, `expires_at`).
    public let now: @Sendable () -> Date
    /// Lengths count Unicode scalars, not grapheme clusters: a cluster can be made of any number of
    /// combining marks, and every scalar is sent.
    public static let maxTextLength = 2_000
    public static let maxKeyLength = 255
    /// Timestamps (`send_after`, `expires_at`) lie within these years.
    public static let plausibleTimestampYears = 2000...2199

    /// The per-country collection rules checked at enqueue (`CollectionRuleCheck.enqueueProblems`).
    public let collectionRules: CollectionRules

    public init(
        kinds: [String: KindRule], collectionRules: CollectionRules = .shipped, dataCheck: DataCheck? = nil, now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.init(kinds: kinds, collectionRules: collectionRules, dataChecking: dataCheck.map(DataChecking.fixed), now: now)
    }

    public init(
        kinds: [String: KindRule], collectionRules: CollectionRules = .shipped, dataChecking: DataChecking?,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.kinds = kinds
        self.collectionRules = collectionRules
        self.dataChecking = dataChecking
        self.now = now
    }

    /// This validator with the data check in force now held for all it validates: a batch's chunk
    /// is checked against one template set, looked up once instead of once a message (the look-up
    /// takes the reloader's lock, which a chunk's lines, validated on every core, contended for).
    public func pinned() -> MessageValidator {
        guard case .inForce(let inForce)? = dataChecking else { return self }
        return MessageValidator(kinds: kinds, collectionRules: collectionRules, dataChecking: .fixed(inForce()), now: now)
    }

    /// The data check for the message being validated.
    private var dataCheck: DataCheck? {
        switch dataChecking {
        case nil: nil
        case .fixed(let check)?: check
        case .inForce(let inForce)?: inForce()
        }
    }

    /// Parses one JSON value, or says why it is not JSON (and where). `JSONReader` accepts what
    /// `JSONDecoder` would, in ~2 µs for a typical message where JSONDecoder took ~35 µs.
    public static func parse(json bytes: some Collection<UInt8>) -> Result<JSONValue, ValidationFailure> {
        do {
            return .success(try JSONReader.value(from: bytes))
        } catch let error as JSONNumberOutOfRange {
            return .failure(ValidationFailure([ValidationError(
                field: error.path, problem: "a number out of range (too large or too small to hold exactly); send amounts as decimal strings such as \"1250.00\"")]))
        } catch {
            return .failure(ValidationFailure([ValidationError(field: "", problem: "not valid JSON: \(Self.describe(error))")]))
        }
    }

    /// Validates raw bytes of one JSON object.
    public func validate(json bytes: some Collection<UInt8>, stored: [String: Recipient] = [:]) -> Result<MessageRequest, ValidationFailure> {
        Self.parse(json: bytes).flatMap { validate($0, stored: stored) }
    }

    /// The `recipient.id` of a message whose recipient gives none of the contact points (phone,
    /// email, address): only then does the stored record of the recipient decide whether the message is
    /// valid (its contact points stand in), so only then need it be read before validating.
    public static func recipientIDNeedingStoredRecord(of value: JSONValue) -> String? {
        guard case .object(let root) = value, case .object(let fields)? = root["recipient"] else { return nil }
        let recipient = RecipientMembers(fields)
        guard case .string(let id)? = recipient.id, !recipient.givesContact else { return nil }
        return id
    }

    /// Validates a message. `stored` holds the stored preference records of recipients, by id: a
    /// message naming a stored recipient may leave out contact points the record has.
    public func validate(_ value: JSONValue, stored: [String: Recipient] = [:]) -> Result<MessageRequest, ValidationFailure> {
        var errors: [ValidationError] = []
        func fail(_ field: String, _ problem: String) { errors.append(ValidationError(field: field, problem: problem)) }

        guard case .object(let object) = value else {
            return .failure(ValidationFailure([ValidationError(field: "", problem: "expected a JSON object, got \(value.typeName)")]))
        }
        let root = MessageMembers(object)
        for key in root.unknown { fail(key, "unknown field") }

        let idempotencyKey = optionalString(root.idempotencyKey, path: "idempotency_key", max: Self.maxKeyLength, fail)
        let caseRef = optionalString(root.caseRef, path: "case_ref", max: Self.maxKeyLength, fail)

        var kind = ""
        var rule: KindRule?
        switch root.kind {
        case nil, .null?: fail("kind", "required")
        case .string(let name)?:
            rule = kinds[name]
            if rule == nil {
                fail("kind", "unknown kind '\(name)'; configured kinds: \(kinds.keys.sorted().joined(separator: ", "))")
            }
            kind = name
        case let other?: fail("kind", "expected a string, got \(other.typeName)")
        }

        var recipient = Recipient()
        switch root.recipient {
        case nil, .null?: fail("recipient", "required")
        case .object(let fields)?:
            let members = RecipientMembers(fields)
            recipient = validateRecipient(members, path: "recipient", fail)
            let given = members.givesContact
            let storedContact = recipient.id.flatMap { stored[$0] }.map { $0.phone != nil || $0.email != nil || $0.address != nil } ?? false
            if !given, !storedContact {
                fail("recipient", "needs at least one contact point: phone, email or address (given here or stored for recipient.id)")
            }
        case let other?: fail("recipient", "expected an object, got \(other.typeName)")
        }

        var data: [String: JSONValue] = [:]
        switch root.data {
        case nil, .null?: fail("data", "required")
        case .object(let fields)?:
            let before = errors.count
            data = validateData(fields, kind: rule, fail)
            if errors.count == before, let dataCheck, !kind.isEmpty { errors += dataCheck(kind, data) }
            if let value = data["deadline"], case .success(let deadline) = ValueRules.date(value) {
                // A deadline already passed cannot be met: judged by the recipient's calendar.
                let zone = RecipientTimeZone.of(recipient)
                let today = ValueRules.today(now(), in: zone)
                if deadline < today {
                    fail("data.deadline", "\(deadline) is in the past (today is \(today) in \(zone.identifier)); a notice must give a deadline that can still be met")
                }
            }
        case let other?: fail("data", "expected an object, got \(other.typeName)")
        }

        let sendAfter = optionalTimestamp(root.sendAfter, path: "send_after", fail)
        let expiresAt = optionalTimestamp(root.expiresAt, path: "expires_at", fail)
        if let sendAfter, let expiresAt, expiresAt <= sendAfter {
            fail("expires_at", "must be later than send_after")
        } else if let expiresAt, expiresAt <= now() {
            fail("expires_at", "\(RFC3339.format(expiresAt)) is in the past: the message would expire on arrival")
        }

        guard errors.isEmpty else { return .failure(ValidationFailure(errors)) }
        let request = MessageRequest(
            idempotencyKey: idempotencyKey, kind: kind, caseRef: caseRef, recipient: recipient, data: data,
            sendAfter: sendAfter, expiresAt: expiresAt)
        // The law of the debtor's country, as far as the message itself shows it.
        if let rule, let rules = collectionRules.rules(country: recipient.effectiveCountry, creditor: data["creditor"]?.scalarText) {
            let problems = CollectionRuleCheck.enqueueProblems(request, step: rule.legalStep, rules: rules, now: now())
            if !problems.isEmpty { return .failure(ValidationFailure(problems)) }
        }
        return .success(request)
    }

    /// Validates a stored preference record (`PUT /v1/recipients/{id}`): the recipient fields of a
    /// message without `id`; no contact point is required (a record may hold only opt-outs).
    public func validateRecipientRecord(_ value: JSONValue, id: String) -> Result<Recipient, ValidationFailure> {
        var errors: [ValidationError] = []
        func fail(_ field: String, _ problem: String) { errors.append(ValidationError(field: field, problem: problem)) }
        guard case .object(var fields) = value else {
            return .failure(ValidationFailure([ValidationError(field: "", problem: "expected a JSON object, got \(value.typeName)")]))
        }
        if let given = fields["id"], given != .string(id) {
            fail("id", "differs from the id in the path")
        }
        fields["id"] = .string(id)
        let recipient = validateRecipient(RecipientMembers(fields), path: "", fail)
        return errors.isEmpty ? .success(recipient) : .failure(ValidationFailure(errors))
    }

    private func validateRecipient(_ fields: RecipientMembers, path: String, _ report: (String, String) -> Void) -> Recipient {
        let prefix = path.isEmpty ? "" : path + "."
        func fail(_ field: String, _ problem: String) {
            report(field.hasPrefix("recipient.") ? prefix + field.dropFirst("recipient.".count) : field, problem)
        }
        for key in fields.unknown { fail("recipient.\(key)", "unknown field") }
        var recipient = Recipient()
        recipient.id = optionalString(fields.id, path: "recipient.id", max: Self.maxKeyLength, fail)
        recipient.name = optionalString(fields.name, path: "recipient.name", max: 200, fail)
        if let locale = optionalString(fields.locale, path: "recipient.locale", max: 35, fail) {
            if LocaleTag.isWellFormed(locale) {
                recipient.locale = LocaleTag.normalise(locale)
            } else {
                fail("recipient.locale", "'\(locale)' is not a language tag such as nb-NO")
            }
        }
        if let country = optionalString(fields.country, path: "recipient.country", max: 2, fail) {
            recipient.country = checkedCountry(country, path: "recipient.country", fail)
        }
        if let zone = optionalString(fields.timezone, path: "recipient.timezone", max: 64, fail) {
            if TimeZone(identifier: zone) == nil {
                fail("recipient.timezone", "'\(zone)' is not an IANA time zone such as Europe/Oslo")
            } else {
                recipient.timezone = zone
            }
        }
        if let tone = optionalString(fields.tone, path: "recipient.tone", max: 16, fail) {
            if let value = Tone(rawValue: tone) {
                recipient.tone = value
            } else {
                fail("recipient.tone", "'\(tone)' is not a tone; use direct or indirect")
            }
        }
        if let given = fields.channels, given != .null {
            let channels = channelList(given, path: "recipient.channels", fail)
            if channels?.isEmpty == true { fail("recipient.channels", "must name at least one channel") }
            recipient.channels = channels
        }
        if let optOut = fields.optOut, optOut != .null {
            recipient.optOut = channelList(optOut, path: "recipient.opt_out", fail) ?? []
        }
        if let phone = optionalString(fields.phone, path: "recipient.phone", max: 32, fail) {
            if PhoneNumber.hasE164Shape(phone) {
                recipient.phone = phone
            } else {
                fail("recipient.phone", "not in E.164 form (+ and country code, digits only, e.g. +4791234567)")
            }
        }
        if let email = optionalString(fields.email, path: "recipient.email", max: 254, fail) {
            if let problem = EmailAddress.problem(email) {
                fail("recipient.email", "not a valid email address: \(problem)")
            } else {
                recipient.email = email
            }
        }
        switch fields.address {
        case nil, .null?: break
        case .object(let address)?: recipient.address = validateAddress(address, fail: fail)
        case let other?: fail("recipient.address", "expected an object, got \(other.typeName)")
        }
        switch fields.consents {
        case nil, .null?: break
        case .array(let items)?:
            let consents = items.enumerated().compactMap { index, item in validateConsent(item, path: "recipient.consents[\(index)]", fail) }
            if consents.count == items.count, !consents.isEmpty { recipient.consents = consents }
        case let other?: fail("recipient.consents", "expected a list, got \(other.typeName)")
        }
        return recipient
    }

    private func validateAddress(_ fields: [String: JSONValue], fail: (String, String) -> Void) -> PostalAddress {
        for key in Self.unknownKeys(fields, known: Self.addressFields) { fail("recipient.address.\(key)", "unknown field") }
        var lines: [String] = []
        switch fields["lines"] {
        case nil, .null?: break
        case .array(let items)?:
            for (index, item) in items.enumerated() {
                guard case .string(let line) = item, !line.isEmpty, Self.scalarCount(of: line, atMost: 200) else {
                    fail("recipient.address.lines[\(index)]", "expected a non-empty string of at most 200 characters")
                    continue
                }
                if let problem = ValueRules.textProblem(line, multiline: false) {
                    fail("recipient.address.lines[\(index)]", problem)
                } else {
                    lines.append(line)
                }
            }
        case let other?: fail("recipient.address.lines", "expected an array of strings, got \(other.typeName)")
        }
        let postalCode = optionalString(fields["postal_code"], path: "recipient.address.postal_code", max: 20, fail)
        let city = optionalString(fields["city"], path: "recipient.address.city", max: 100, fail)
        var country: String?
        if let text = optionalString(fields["country"], path: "recipient.address.country", max: 2, fail) {
            country = checkedCountry(text, path: "recipient.address.country", fail)
        }
        return PostalAddress(lines: lines, postalCode: postalCode, city: city, country: country)
    }

    private func validateData(_ fields: [String: JSONValue], kind: KindRule?, _ fail: (String, String) -> Void) -> [String: JSONValue] {
        // Every amount of the message is in its one currency.
        let currencyValue = fields["currency"]
        let currency = currencyValue.flatMap { ValueRules.currencyProblem($0) == nil ? $0.scalarText : nil }
        // Problems are reported in name order; most data has none, so it is first checked unsorted.
        var anyProblem = false
        for (key, value) in fields {
            validateDataField(key: key, value: value, path: "data.\(key)", depth: 0, currency: currency) { _, _ in anyProblem = true }
        }
        if anyProblem {
            for (key, value) in fields.sorted(by: { $0.key < $1.key }) {
                validateDataField(key: key, value: value, path: "data.\(key)", depth: 0, currency: currency, fail)
            }
        }
        // How to pay, checked by its scheme (docs/payments.md).
        if let payment = fields["payment"], payment != .null, case .failure(let failure) = PaymentValidation.parse(payment) {
            for error in failure.errors { fail(error.field, error.problem) }
        }
        if currencyValue == nil, fields["amount"] != nil || fields["fee"] != nil {
            fail("data.currency", "required when an amount is given")
        }
        for name in kind?.requiredData ?? [] where (fields[name] ?? .null) == .null {
            fail("data.\(name)", "required for kind \(kind!.name)")
        }
        return fields
    }

    /// One data field, and inside lists and objects (e.g. `installments[0].due_date`) the fields
    /// whose names have a known type.
    private func validateDataField(
        key: String, value: JSONValue, path: @autoclosure () -> String, depth: Int, currency: String?, _ report: (String, String) -> Void
    ) {
        // The path is written only for a problem.
        func fail(_ path: () -> String, _ problem: String) { report(path(), problem) }
        guard Self.isTemplateName(key) else {
            fail(path, "field names must be letters, digits and _ and start with a letter or _")
            return
        }
        switch value {
        case .array(let items):
            guard depth < 4, items.count <= 500 else {
                fail(path, "nested too deeply or too long (at most 4 levels and 500 items)")
                return
            }
            for (index, item) in items.enumerated() {
                if case .object(let object) = item {
                    for (name, field) in object.sorted(by: { $0.key < $1.key }) {
                        validateDataField(key: name, value: field, path: "\(path())[\(index)].\(name)", depth: depth + 1, currency: currency, report)
                    }
                } else {
                    validateDataField(key: key, value: item, path: "\(path())[\(index)]", depth: depth + 1, currency: currency, report)
                }
            }
            return
        case .object(let object):
            guard depth < 4 else {
                fail(path, "nested too deeply (at most 4 levels)")
                return
            }
            for (name, field) in object.sorted(by: { $0.key < $1.key }) {
                validateDataField(key: name, value: field, path: "\(path()).\(name)", depth: depth + 1, currency: currency, report)
            }
            return
        default:
            break
        }
        if case .string(let text) = value, let problem = ValueRules.textProblem(text, multiline: true) {
            // Control characters are refused in every field; line breaks only where the kind's
            // schema declares a field single-line (all but `multiline: true`).
            fail(path, problem)
            return
        }
        switch DataFieldType.of(key) {
        case .money:
            if case .failure(let problem) = ValueRules.money(value, currency: currency) { fail(path, problem.description) }
        case .currency:
            if let problem = ValueRules.currencyProblem(value) { fail(path, problem) }
        case .date:
            if case .failure(let problem) = ValueRules.date(value) { fail(path, problem.description) }
        case .url:
            guard case .string(let text) = value, ValueRules.isHTTPURL(text) else {
                fail(path, "expected an http(s) URL")
                return
            }
        case .text:
            if let text = value.scalarText, !Self.scalarCount(of: text, atMost: Self.maxTextLength) {
                fail(path, "longer than \(Self.maxTextLength) characters")
            }
        }
    }

    /// The decimal text of an amount given as a string or a JSON number.
    public static func moneyText(_ value: JSONValue) -> String? {
        switch value {
        case .string(let text): Money(text, currency: "XXX") != nil ? text : nil
        case .number(let number): Money("\(number)", currency: "XXX") != nil ? "\(number)" : nil
        default: nil
        }
    }

    static let messageFields: Set = ["idempotency_key", "kind", "case_ref", "recipient", "data", "send_after", "expires_at"]
    static let recipientFields: Set = [
        "id", "name", "locale", "country", "timezone", "tone", "channels", "opt_out", "phone", "email", "address", "consents",
    ]
    static let addressFields: Set = ["lines", "postal_code", "city", "country"]

    /// The keys of `fields` not in `known`, sorted (sorted only when there are any).
    private static func unknownKeys(_ fields: [String: JSONValue], known: Set<String>) -> [String] {
        let unknown = fields.keys.filter { !known.contains($0) }
        return unknown.isEmpty ? [] : unknown.sorted()
    }

    /// Whether `text` has at most `limit` Unicode scalars: at most `limit` UTF-8 bytes always do (a
    /// scalar is one to four bytes), so only longer text is counted.
    static func scalarCount(of text: String, atMost limit: Int) -> Bool {
        text.utf8.count <= limit || text.unicodeScalars.count <= limit
    }

    /// Template variable names: what Mustache can look up without ambiguity.
    public static func isTemplateName(_ name: String) -> Bool {
        // Bytes, not characters: every allowed character is one ASCII byte.
        let bytes = name.utf8
        guard let first = bytes.first, first == UInt8(ascii: "_") || first.isASCIILetter, bytes.count <= 64 else { return false }
        return bytes.allSatisfy { $0 == UInt8(ascii: "_") || $0.isASCIILetter || $0.isASCIIDigit }
    }

    private func optionalString(_ value: JSONValue?, path: String, max: Int, _ fail: (String, String) -> Void) -> String? {
        switch value {
        case nil, .null?: return nil
        case .string(let text)?:
            if text.isEmpty {
                fail(path, "must not be empty")
                return nil
            }
            if !Self.scalarCount(of: text, atMost: max) {
                fail(path, "longer than \(max) characters")
                return nil
            }
            if let problem = ValueRules.textProblem(text, multiline: false) {
                fail(path, problem)
                return nil
            }
            return text
        case let other?:
            fail(path, "expected a string, got \(other.typeName)")
            return nil
        }
    }

    /// A dated consent: `{"type", "channel", "address"?, "given_at", "expires_at"?}`.
    private func validateConsent(_ value: JSONValue, path: String, _ fail: (String, String) -> Void) -> Consent? {
        guard case .object(let fields) = value else {
            fail(path, "expected an object, got \(value.typeName)")
            return nil
        }
        var ok = true
        func problem(_ field: String, _ text: String) {
            ok = false
            fail("\(path).\(field)", text)
        }
        for key in fields.keys.sorted() where !["type", "channel", "address", "given_at", "expires_at"].contains(key) { problem(key, "unknown field") }
        let type = optionalString(fields["type"], path: "\(path).type", max: 32, fail).flatMap { name in
            Consent.Kind(rawValue: name) ?? { problem("type", "'\(name)' is not a consent type; use used_address or electronic_notice"); return nil }()
        }
        if fields["type"] == nil || fields["type"] == .null { problem("type", "required: used_address or electronic_notice") }
        let channel = optionalString(fields["channel"], path: "\(path).channel", max: 16, fail).flatMap { name in
            Channel(rawValue: name) ?? { problem("channel", "'\(name)' is not a channel; use sms, email or letter"); return nil }()
        }
        if fields["channel"] == nil || fields["channel"] == .null { problem("channel", "required: the channel the consent is for") }
        let address = optionalString(fields["address"], path: "\(path).address", max: 254, fail)
        if let address, let reason = EmailAddress.problem(address) { problem("address", "not a valid email address: \(reason)") }
        let givenAt = optionalTimestamp(fields["given_at"], path: "\(path).given_at", fail)
        if fields["given_at"] == nil || fields["given_at"] == .null { problem("given_at", "required: when the debtor gave it (RFC 3339)") }
        let expiresAt = optionalTimestamp(fields["expires_at"], path: "\(path).expires_at", fail)
        if let givenAt, let expiresAt, expiresAt <= givenAt { problem("expires_at", "must be later than given_at") }
        guard ok, let type, let channel, let givenAt else { return nil }
        return Consent(type: type, channel: channel, address: address, givenAt: givenAt, expiresAt: expiresAt)
    }

    private func optionalTimestamp(_ value: JSONValue?, path field: String, _ fail: (String, String) -> Void) -> Date? {
        guard let text = optionalString(value, path: field, max: 40, fail) else { return nil }
        guard let date = RFC3339.parseTimestamp(text) else {
            fail(field, "'\(text)' is not an RFC 3339 timestamp such as 2026-11-23T08:00:00Z")
            return nil
        }
        let year = RFC3339.civilFromDays(Int((date.timeIntervalSince1970 / 86_400).rounded(.down))).year
        guard Self.plausibleTimestampYears.contains(year) else {
            fail(field, "'\(text)' is not a plausible time: the year must lie between \(Self.plausibleTimestampYears.lowerBound) and \(Self.plausibleTimestampYears.upperBound)")
            return nil
        }
        return date
    }

    private func checkedCountry(_ text: String, path: String, _ fail: (String, String) -> Void) -> String? {
        let code = text.uppercased()
        guard code.count == 2, PhoneNumber.callingCode(forRegion: code) != nil else {
            fail(path, "'\(text)' is not an ISO 3166-1 alpha-2 country code such as NO")
            return nil
        }
        return code
    }

    private func channelList(_ value: JSONValue, path: String, _ fail: (String, String) -> Void) -> [Channel]? {
        guard case .array(let items) = value else {
            fail(path, "expected an array of channel names (sms, email, letter), got \(value.typeName)")
            return nil
        }
        var channels: [Channel] = []
        for (index, item) in items.enumerated() {
            guard case .string(let name) = item, let channel = Channel(rawValue: name) else {
                fail("\(path)[\(index)]", "unknown channel \(item.scalarText.map { "'\($0)'" } ?? item.typeName); use sms, email or letter")
                continue
            }
            if channels.contains(channel) {
                fail("\(path)[\(index)]", "\(name) is listed twice")
            } else {
                channels.append(channel)
            }
        }
        return channels
    }

    static func describe(_ error: any Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            let underlying = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return underlying ?? context.debugDescription
        }
        return "\(error)"
    }
}
