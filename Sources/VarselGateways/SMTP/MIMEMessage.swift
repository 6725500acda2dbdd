import Crypto
import Foundation
import VarselCore

/// A mailbox: an address with an optional display name (RFC 5322 §3.4 `mailbox`:
/// `name-addr` = `[display-name] "<" addr-spec ">"`, or a bare `addr-spec`).
///
/// `address` is kept as given; `addrSpec` is its form on the wire: the domain in its ASCII form
/// (IDNA A-labels, RFC 5890/5891, through VarselCore's `Punycode`) and a local part that is not a
/// dot-atom written as a quoted-string (RFC 5322 §3.4.1). A non-ASCII local part has no ASCII
/// form: such an address can only be sent to a server that offers SMTPUTF8 (RFC 6531), in which
/// case it is written as UTF-8 (RFC 6532 §3.2); `isASCII` tells which case an address is.
public struct MailAddress: Sendable, Hashable {
    public var name: String?
    public var address: String

    public init(name: String?, address: String) {
        self.name = name
        self.address = address
    }

    /// Parses `Fjordkraft Kundeservice <krav@fjordkraft.example>`, `"Doe, Jane" <j@x.example>` or
    /// `krav@x.example`; nil when not an address.
    ///
    /// The display name may be atoms and quoted-strings (RFC 5322 §3.2.5 `phrase`; `\` escapes in
    /// a quoted-string are undone); the address must pass VarselCore's `EmailAddress` syntax check
    /// (a dot-atom local part, ASCII or internationalised per RFC 6531, and an LDH or IDN domain).
    /// Line breaks and other control characters anywhere make the text not an address.
    public init?(parsing text: String) {
        guard !text.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\t" || $0.value == 0x7F }) else { return nil }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasSuffix(">"), let open = trimmed.lastIndex(of: "<") {
            let inner = trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)]
            let address = inner.trimmingCharacters(in: .whitespaces)
            guard let name = Self.parsePhrase(trimmed[..<open]) else { return nil }
            guard EmailAddress.isValid(address) else { return nil }
            self.init(name: name.isEmpty ? nil : name, address: address)
        } else {
            guard EmailAddress.isValid(trimmed) else { return nil }
            self.init(name: nil, address: trimmed)
        }
    }

    /// The address as written in a header field and as the SMTP envelope path (RFC 5321 §4.1.2):
    /// control characters and surrounding white space removed, the local part a dot-atom or else a
    /// quoted-string, a non-ASCII domain as IDNA A-labels (`kari@bølgen.no` →
    /// `kari@xn--blgen-vua.no`), any character of the domain that cannot be in one dropped.
    public var addrSpec: String {
        let cleaned = String(String.UnicodeScalarView(address.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }))
            .trimmingCharacters(in: .whitespaces)
        guard let at = cleaned.lastIndex(of: "@") else { return Self.localPart(cleaned) }
        return Self.localPart(cleaned[..<at]) + "@" + Self.domain(cleaned[cleaned.index(after: at)...])
    }

    /// Whether the address can go without SMTPUTF8 (RFC 6531): its local part is ASCII and its
    /// domain has an ASCII form. A non-ASCII domain alone does not matter: it is sent as punycode.
    public var isASCII: Bool { addrSpec.utf8.allSatisfy { $0 < 0x80 } }

    static func localPart(_ text: Substring) -> String {
        if isDotAtom(text) { return String(text) }
        if text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\""), isQuotedContent(text.dropFirst().dropLast()) {
            return String(text)
        }
        return "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    static func localPart(_ text: String) -> String { localPart(text[...]) }

    static func domain(_ text: Substring) -> String {
        if text.hasPrefix("["), text.hasSuffix("]"), text.count >= 2 {
            // RFC 5322 §3.4.1 domain-literal: dtext is printable ASCII except `[`, `]` and `\`.
            let inner = text.dropFirst().dropLast().unicodeScalars.filter {
                $0.value >= 0x21 && $0.value <= 0x7E && !"[]\\".unicodeScalars.contains($0)
            }
            return "[" + String(String.UnicodeScalarView(inner)) + "]"
        }
        let ascii = text.unicodeScalars.allSatisfy(\.isASCII) ? String(text) : (Punycode.asciiDomain(String(text)) ?? String(text))
        let kept = ascii.unicodeScalars.filter { !$0.isASCII || $0 == "." || HeaderField.isAtext(UInt8($0.value)) }
        return String(String.UnicodeScalarView(kept))
    }

    /// RFC 5322 §3.2.3 dot-atom-text, with RFC 6532 §3.2's non-ASCII characters allowed in atext.
    static func isDotAtom(_ text: Substring) -> Bool {
        guard !text.isEmpty, !text.hasPrefix("."), !text.hasSuffix("."), !text.contains("..") else { return false }
        return text.unicodeScalars.allSatisfy { !$0.isASCII || $0 == "." || HeaderField.isAtext(UInt8($0.value)) }
    }

    /// Contents of a quoted-string (RFC 5322 §3.2.4): qtext or quoted-pairs, no bare `"` or `\`.
    static func isQuotedContent(_ text: Substring) -> Bool {
        var escaping = false
        for scalar in text.unicodeScalars {
            if escaping {
                escaping = false
            } else if scalar == "\\" {
                escaping = true
            } else if scalar == "\"" {
                return false
            }
        }
        return !escaping
    }

    /// A display name: atoms and quoted-strings separated by white space, joined by one space;
    /// nil when a quoted-string is not closed or `<`, `>` stand outside one.
    static func parsePhrase(_ text: Substring) -> String? {
        var words: [String] = []
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            if character == " " || character == "\t" {
                index = text.index(after: index)
            } else if character == "\"" {
                var word = ""
                var escaping = false
                var closed = false
                index = text.index(after: index)
                while index < text.endIndex {
                    let c = text[index]
                    index = text.index(after: index)
                    if escaping {
                        word.append(c)
                        escaping = false
                    } else if c == "\\" {
                        escaping = true
                    } else if c == "\"" {
                        closed = true
                        break
                    } else {
                        word.append(c)
                    }
                }
                guard closed else { return nil }
                words.append(word)
            } else {
                var word = ""
                while index < text.endIndex, !" \t\"".contains(text[index]) {
                    guard text[index] != "<", text[index] != ">" else { return nil }
                    word.append(text[index])
                    index = text.index(after: index)
                }
                words.append(word)
            }
        }
        return words.joined(separator: " ").trimmingCharacters(in: .whitespaces)
    }
}

/// An Internet message (RFC 5322) with a MIME body (RFC 2045–2047, RFC 2183, RFC 2231, RFC 2387),
/// built as the exact bytes an SMTP client sends after DATA.
///
/// The header section is `Date`, `From`, `To`, `Reply-To` (when set), `Subject`, `Message-ID`,
/// `MIME-Version: 1.0`, the extra headers, then the body's `Content-Type` (and
/// `Content-Transfer-Encoding`). Non-ASCII text in headers becomes RFC 2047 encoded-words; lines
/// are folded at 78 characters where possible (RFC 5322 §2.1.1); no value can break a header line.
///
/// The body is the smallest structure that carries what is set (RFC 2046 §5.1):
/// ```
/// multipart/mixed                      when there are attachments
/// ├─ multipart/related                 when there are inline parts and HTML (RFC 2387)
/// │  ├─ multipart/alternative          when there is HTML: text/plain first, text/html last
/// │  │  ├─ text/plain; charset=UTF-8
/// │  │  └─ text/html; charset=UTF-8
/// │  └─ inline parts                   Content-ID: <cid>, Content-Disposition: inline (RFC 2183)
/// └─ attachments                       Content-Disposition: attachment; filename… (RFC 2183, 2231)
/// ```
/// Inline parts of a message without HTML have nothing to refer to them; they go into
/// `multipart/mixed` beside the text, still `inline` and with their `Content-ID`.
///
/// Text parts are quoted-printable (RFC 2045 §6.7), or `7bit` when they are short-lined printable
/// ASCII; attachments are base64 in lines of 76 characters (RFC 2045 §6.8). Boundaries are derived
/// from `messageID` (SHA-256) and checked not to occur in what they enclose, so rendering the same
/// message again, e.g. for a retry, gives the same bytes. The whole is pure: no clock, no
/// randomness, no I/O.
public struct MIMEMessage: Sendable {
    /// A file sent with the message: an ordinary attachment, or an inline part of the HTML when
    /// `contentID` is set (referred to as `cid:<contentID>` in the HTML, RFC 2392).
    public struct Attachment: Sendable {
        public var filename: String
        /// A MIME type such as `application/pdf`, parameters allowed; an unusable one becomes
        /// `application/octet-stream`.
        public var contentType: String
        public var data: [UInt8]
        /// The Content-ID without `<>`; set for an inline part.
        public var contentID: String?

        public init(filename: String, contentType: String, data: [UInt8], contentID: String? = nil) {
            self.filename = filename
            self.contentType = contentType
            self.data = data
            self.contentID = contentID
        }
    }

    public var from: MailAddress
    public var to: [MailAddress]
    public var replyTo: MailAddress?
    public var subject: String
    public var date: Date
    /// The Message-ID without `<>`, e.g. `01J…@fjordkraft.example`. Characters that cannot be in
    /// a msg-id (RFC 5322 §3.6.4) are dropped; when none is left the field is not written. It also
    /// seeds the boundaries, so the same Message-ID and content give the same bytes.
    public var messageID: String
    public var text: String
    public var html: String?
    public var attachments: [Attachment]
    /// Further header fields, e.g. `("X-Varsel-Message-Id", id)`, written in this order after
    /// `MIME-Version`. Values are unstructured text (non-ASCII is encoded). Fields this builder
    /// writes itself (`Date`, `From`, `To`, `Reply-To`, `Subject`, `Message-ID`, `MIME-Version`
    /// and any `Content-*`) are left out, as is a field whose name has no usable character.
    public var extraHeaders: [(name: String, value: String)]

    public init(
        from: MailAddress, to: [MailAddress], replyTo: MailAddress? = nil, subject: String, date: Date, messageID: String,
        text: String, html: String? = nil, attachments: [Attachment] = [], extraHeaders: [(name: String, value: String)] = []
    ) {
        self.from = from
        self.to = to
        self.replyTo = replyTo
        self.subject = subject
        self.date = date
        self.messageID = messageID
        self.text = text
        self.html = html
        self.attachments = attachments
        self.extraHeaders = extraHeaders
    }

    /// The whole message, CRLF line ends, ready for SMTP DATA (no dot-stuffing: libcurl does that).
    public func render() -> [UInt8] {
        var head = ""
        head += Self.field("Date") { $0.append(Self.rfc5322Date(date)) }
        head += Self.field("From") { Self.appendMailboxes([from], to: &$0) }
        head += Self.field("To") { field in
            if to.isEmpty {
                field.append("undisclosed-recipients:;")  // an empty group, RFC 5322 §3.4
            } else {
                Self.appendMailboxes(to, to: &field)
            }
        }
        if let replyTo {
            head += Self.field("Reply-To") { Self.appendMailboxes([replyTo], to: &$0) }
        }
        head += Self.field("Subject") { $0.appendUnstructured(subject) }
        let id = Self.messageIDText(messageID)
        if !id.isEmpty {
            head += Self.field("Message-ID") { $0.append("<" + id + ">") }
        }
        head += "MIME-Version: 1.0\r\n"
        for (name, value) in extraHeaders {
            let name = Self.fieldName(name)
            let lowered = name.lowercased()
            guard !name.isEmpty, !Self.reservedFields.contains(lowered), !lowered.hasPrefix("content-") else { continue }
            head += Self.field(name) { $0.appendUnstructured(value) }
        }
        var entity = render(body(), standalone: true)
        if entity.body.last != 0x0A, !entity.body.isEmpty { entity.body += [0x0D, 0x0A] }
        return Array((head + entity.headers + "\r\n").utf8) + entity.body
    }

    // MARK: - Body structure

    private indirect enum Part {
        /// A text part: `text/plain` or `text/html`.
        case text(subtype: String, content: String)
        case file(Attachment, inline: Bool)
        /// `type` is the `type` parameter of multipart/related (RFC 2387 §3.1).
        case multipart(subtype: String, type: String?, parts: [Part])
    }

    private func body() -> Part {
        var alternative: Part = .text(subtype: "plain", content: text)
        if let html {
            alternative = .multipart(subtype: "alternative", type: nil, parts: [alternative, .text(subtype: "html", content: html)])
        }
        let inline = attachments.filter { Self.contentIDText($0.contentID) != nil }
        let attached = attachments.filter { Self.contentIDText($0.contentID) == nil }
        var mixed: [Part] = []
        var root = alternative
        if !inline.isEmpty {
            if html != nil {
                let rootType = "multipart/alternative"
                root = .multipart(subtype: "related", type: rootType, parts: [alternative] + inline.map { .file($0, inline: true) })
            } else {
                mixed += inline.map { .file($0, inline: true) }
            }
        }
        mixed += attached.map { .file($0, inline: false) }
        guard !mixed.isEmpty else { return root }
        return .multipart(subtype: "mixed", type: nil, parts: [root] + mixed)
    }

    /// A part's header fields (each line with CRLF) and body. `standalone`: the body ends the
    /// message rather than being followed by a boundary delimiter, so it must end in CRLF.
    private func render(_ part: Part, standalone: Bool) -> (headers: String, body: [UInt8]) {
        switch part {
        case .text(let subtype, let content):
            let headers = Self.field("Content-Type") { $0.append("text/\(subtype);"); $0.append("charset=UTF-8") }
            let canonical = QuotedPrintable.canonicalLineEnds(content)
            // Under 7bit the body's last CRLF would be content; a standalone body must end in one,
            // so 7bit is used there only for text that ends in a line break anyway.
            if QuotedPrintable.isPlain7Bit(content), !standalone || canonical.isEmpty || canonical.hasSuffix("\r\n") {
                return (headers + "Content-Transfer-Encoding: 7bit\r\n", Array(canonical.utf8))
            }
            var encoded = QuotedPrintable.encode(content)
            // A soft line break at the end adds nothing to the text (RFC 2045 §6.7 rule 5).
            if standalone, !encoded.isEmpty, !encoded.hasSuffix("\r\n") { encoded += "=\r\n" }
            return (headers + "Content-Transfer-Encoding: quoted-printable\r\n", Array(encoded.utf8))
        case .file(let attachment, let inline):
            let (type, parameters) = Self.mediaType(attachment.contentType)
            let filename = HeaderField.neutralised(attachment.filename)
            var headers = Self.field("Content-Type") { field in
                let name = filename.isEmpty ? [] : Self.parameter("name", filename)
                Self.appendParameters(type, parameters + name, to: &field)
            }
            headers += "Content-Transfer-Encoding: base64\r\n"
            if inline, let id = Self.contentIDText(attachment.contentID) {
                headers += Self.field("Content-ID") { $0.append("<" + id + ">") }
            }
            headers += Self.field("Content-Disposition") { field in
                let name = filename.isEmpty ? [] : Self.parameter("filename", filename)
                Self.appendParameters(inline ? "inline" : "attachment", name, to: &field)
            }
            return (headers, Self.base64Lines(attachment.data))
        case .multipart(let subtype, let type, let parts):
            let children = parts.map { child -> [UInt8] in
                let rendered = render(child, standalone: false)
                return Array((rendered.headers + "\r\n").utf8) + rendered.body
            }
            let boundary = boundary(for: subtype, avoiding: children)
            let headers = Self.field("Content-Type") { field in
                var parameters: [String] = []
                if let type { parameters += Self.parameter("type", type) }
                parameters += Self.parameter("boundary", boundary)
                Self.appendParameters("multipart/\(subtype)", parameters, to: &field)
            }
            let delimiter = Array("--\(boundary)".utf8)
            var body: [UInt8] = []
            for child in children {
                body += delimiter + [0x0D, 0x0A] + child + [0x0D, 0x0A]
            }
            body += delimiter + Array("--".utf8)
            if standalone { body += [0x0D, 0x0A] }
            return (headers, body)
        }
    }

    /// A boundary (RFC 2046 §5.1.1) for the multipart of `subtype`: `=_varsel_` + the subtype +
    /// 32 hex digits of SHA-256 over the Message-ID, the subtype and an attempt number, the first
    /// attempt that occurs in none of the enclosed parts. `=_` cannot occur in quoted-printable or
    /// base64 output, so the check only ever rejects one for 7bit text or a header that holds it.
    private func boundary(for subtype: String, avoiding parts: [[UInt8]]) -> String {
        var attempt = 0
        while true {
            let digest = SHA256.hash(data: Array("varsel-mime\u{0}\(messageID)\u{0}\(subtype)\u{0}\(attempt)".utf8))
            let hex = digest.prefix(16).map { EncodedWord.hexByte($0) }.joined().lowercased()
            let boundary = "=_varsel_\(subtype.prefix(3))_\(hex)"
            let bytes = Array(boundary.utf8)
            if !parts.contains(where: { Self.contains($0, bytes) }) { return boundary }
            attempt += 1
        }
    }

    private static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard let first = needle.first, haystack.count >= needle.count else { return false }
        return haystack.withUnsafeBufferPointer { hay in
            var index = 0
            let last = hay.count - needle.count
            while index <= last {
                if hay[index] == first, needle.indices.allSatisfy({ hay[index + $0] == needle[$0] }) { return true }
                index += 1
            }
            return false
        }
    }

    // MARK: - Header fields

    private static let reservedFields: Set<String> = ["date", "from", "to", "reply-to", "subject", "message-id", "mime-version"]

    private static func field(_ name: String, _ build: (inout HeaderField) -> Void) -> String {
        var field = HeaderField(name: name)
        build(&field)
        return field.rendered
    }

    private static func appendMailboxes(_ mailboxes: [MailAddress], to field: inout HeaderField) {
        for (index, mailbox) in mailboxes.enumerated() {
            let separator = index < mailboxes.count - 1 ? "," : ""
            let name = HeaderField.neutralised(mailbox.name ?? "").trimmingCharacters(in: .whitespaces)
            if name.isEmpty {
                field.append(mailbox.addrSpec + separator)
            } else {
                field.appendPhrase(name)
                field.append("<" + mailbox.addrSpec + ">" + separator)
            }
        }
    }

    /// RFC 5322 §3.3 date-time in UTC: `Mon, 05 Jan 2026 08:09:10 +0000`, English names, whole
    /// seconds (proleptic Gregorian calendar, computed without locale or time zone data).
    static func rfc5322Date(_ date: Date) -> String {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let secondOfDay = seconds - days * 86400
        let (year, month, day) = RFC3339.civilFromDays(days)
        let weekday = ((days % 7) + 11) % 7  // 1970-01-01 was a Thursday; 0 = Sunday
        let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        var yearText = "\(year)"
        while yearText.count < 4 { yearText = "0" + yearText }
        return "\(weekdays[weekday]), \(two(day)) \(months[month - 1]) \(yearText) "
            + "\(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60)) +0000"
    }

    /// The Message-ID's id (RFC 5322 §3.6.4 `msg-id` without `<>`): only atext, `.`, `@`, `[`
    /// and `]` are kept, at most 250 characters.
    static func messageIDText(_ id: String) -> String {
        String(String.UnicodeScalarView(id.unicodeScalars.filter {
            $0.isASCII && ($0 == "." || $0 == "@" || $0 == "[" || $0 == "]" || HeaderField.isAtext(UInt8($0.value)))
        }.prefix(250)))
    }

    /// A Content-ID's id (RFC 2045 §7, RFC 2392) kept to the same characters; nil when empty.
    static func contentIDText(_ id: String?) -> String? {
        guard let id else { return nil }
        let text = messageIDText(id)
        return text.isEmpty ? nil : text
    }

    /// A field name (RFC 5322 §3.6.8 `ftext`: printable ASCII except `:`).
    static func fieldName(_ name: String) -> String {
        String(String.UnicodeScalarView(name.unicodeScalars.filter { $0.value >= 0x21 && $0.value <= 0x7E && $0 != ":" }))
    }

    // MARK: - Content-Type and Content-Disposition parameters

    /// RFC 2045 §5.1 `token`: printable ASCII except space and tspecials.
    private static func isToken(_ text: Substring) -> Bool {
        !text.isEmpty && text.unicodeScalars.allSatisfy {
            $0.value > 0x20 && $0.value < 0x7F && !"()<>@,;:\\\"/[]?=".unicodeScalars.contains($0)
        }
    }

    /// The `type/subtype` of `text` (lower-cased) and its usable parameters other than `name`;
    /// `application/octet-stream` when `text` has no usable type.
    static func mediaType(_ text: String) -> (String, [String]) {
        let pieces = HeaderField.neutralised(text).split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let first = pieces.first else { return ("application/octet-stream", []) }
        let typeParts = first.split(separator: "/", omittingEmptySubsequences: false)
        guard typeParts.count == 2, isToken(typeParts[0]), isToken(typeParts[1]), typeParts[0].lowercased() != "multipart" else {
            return ("application/octet-stream", [])
        }
        var parameters: [String] = []
        for piece in pieces.dropFirst() {
            guard let equals = piece.firstIndex(of: "=") else { continue }
            let attribute = piece[..<equals].trimmingCharacters(in: .whitespaces)
            let value = piece[piece.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            guard isToken(attribute[...]), attribute.lowercased() != "name" else { continue }
            if isToken(value[...]) {
                parameters.append("\(attribute)=\(value)")
            } else if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\""),
                value.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F }),
                MailAddress.isQuotedContent(value.dropFirst().dropLast()[...])
            {
                parameters.append("\(attribute)=\(value)")
            }
        }
        return (first.lowercased(), parameters)
    }

    /// `value` as one or more parameters named `attribute` (RFC 2045 §5.1, RFC 2231).
    ///
    /// Printable ASCII is a quoted-string; anything else is RFC 2231's extended form
    /// `attribute*=UTF-8''%XX…` (§4). A parameter too long for a line is cut into RFC 2231 §3
    /// continuations (`attribute*0`, `attribute*1`, …) between characters, never inside a
    /// character's UTF-8 sequence or a `%XX`.
    static func parameter(_ attribute: String, _ value: String) -> [String] {
        // A parameter is written as " parameter;" on a line of its own at worst: 76 + 2 = 78.
        let singleLimit = 76
        let segmentLimit = 48
        if value.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F }) {
            let escape = { (c: Character) -> String in c == "\"" || c == "\\" ? "\\" + String(c) : String(c) }
            let single = "\(attribute)=\"\(value.map(escape).joined())\""
            if single.count <= singleLimit { return [single] }
            return segments(value.map(escape), limit: segmentLimit).enumerated().map { "\(attribute)*\($0.offset)=\"\($0.element)\"" }
        }
        let pieces = value.map { character in
            String(character).utf8.map { byte -> String in
                let literal = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || "!#$&+-.^_`|~".utf8.contains(byte)
                return literal ? String(UnicodeScalar(byte)) : "%" + EncodedWord.hexByte(byte)
            }.joined()
        }
        let single = "\(attribute)*=UTF-8''\(pieces.joined())"
        if single.count <= singleLimit { return [single] }
        return segments(pieces, limit: segmentLimit).enumerated().map { index, segment in
            index == 0 ? "\(attribute)*0*=UTF-8''\(segment)" : "\(attribute)*\(index)*=\(segment)"
        }
    }

    /// `pieces` joined into segments of at most `limit` characters (a longer piece is alone).
    private static func segments(_ pieces: [String], limit: Int) -> [String] {
        var segments: [String] = []
        var current = ""
        for piece in pieces {
            if !current.isEmpty, current.count + piece.count > limit {
                segments.append(current)
                current = ""
            }
            current += piece
        }
        if !current.isEmpty || segments.isEmpty { segments.append(current) }
        return segments
    }

    /// `value; p1; p2`, folded between parameters.
    private static func appendParameters(_ value: String, _ parameters: [String], to field: inout HeaderField) {
        field.append(value + (parameters.isEmpty ? "" : ";"))
        for (index, parameter) in parameters.enumerated() {
            field.append(parameter + (index < parameters.count - 1 ? ";" : ""))
        }
    }

    /// Base64 (RFC 2045 §6.8) in lines of 76 characters, each ended by CRLF.
    static func base64Lines(_ data: [UInt8]) -> [UInt8] {
        let encoded = Array(Data(data).base64EncodedString().utf8)
        var out: [UInt8] = []
        out.reserveCapacity(encoded.count + encoded.count / 76 * 2 + 2)
        var start = 0
        while start < encoded.count {
            let end = min(start + 76, encoded.count)
            out += encoded[start..<end]
            out += [0x0D, 0x0A]
            start = end
        }
        return out
    }
}
