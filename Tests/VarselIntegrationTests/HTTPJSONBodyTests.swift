import Foundation
import Testing
import VarselCore
@testable import VarselGateways

/// The http-json gateway body (docs/gateway.md) is written directly; it must be byte for byte what
/// `JSONEncoder` (sorted keys, slashes unescaped) wrote for the structures below, which it replaced.
@Suite("http-json gateway body")
struct HTTPJSONBodyTests {
    struct SMSBody: Encodable {
        let message_id: String
        let to: String
        let from: String?
        let text: String
    }

    struct EmailBody: Encodable {
        let message_id: String
        let to: String
        let from: String?
        let subject: String
        let text: String
        let html: String?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(message_id, forKey: .message_id)
            try container.encode(to, forKey: .to)
            try container.encode(from, forKey: .from)
            try container.encode(subject, forKey: .subject)
            try container.encode(text, forKey: .text)
            try container.encode(html, forKey: .html)
        }

        enum CodingKeys: CodingKey { case message_id, to, from, subject, text, html }
    }

    struct LetterBody: Encodable {
        struct Address: Encodable {
            let name: String
            let lines: [String]
            let postal_code: String
            let city: String
            let country: String
        }

        let message_id: String
        let address: Address
        let html: String
        let text: String
    }

    static let texts = [
        "", "Hei Kari, 1 250,00 kr forfalt.", #"quote " and back\slash"#, "line\nbreak\ttab\u{1}\u{1F}\u{7F}", "/a/b/", "æøå 🧾 \u{2028}",
        "<p>Hei &amp; velkommen</p>", "e\u{301}",
    ]

    @Test("2,000 seeded SMS, email and letter bodies, with and without from, html, subject and address parts: the encoder's bytes")
    func sameBytesAsTheEncoder() throws {
        var random = SeededRandom(seed: 2026)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        func text() -> String { Self.texts.randomElement(using: &random)! }
        func maybe(_ value: String) -> String? { Bool.random(using: &random) ? value : nil }
        for round in 0..<2_000 {
            let channel = Channel.allCases[round % 3]
            let from = maybe(text())
            let address = PostalAddress(
                lines: (0..<Int.random(in: 0...3, using: &random)).map { _ in text() }, postalCode: maybe(text()), city: maybe(text()),
                country: maybe("NO"))
            let recipient = Recipient(name: text(), phone: "+4791234567", email: "kari@example.no", address: address)
            let content = RenderedContent(
                templateID: "t", templateVersion: "v", channel: channel, subject: maybe(text()), text: text(), html: maybe(text()), sms: nil,
                contentHash: "h")
            let message = OutboundMessage(messageID: "msg_\(round)", idempotencyKey: "msg_\(round).\(channel)", recipient: recipient, content: content)
            let expected: Data
            switch channel {
            case .sms: expected = try encoder.encode(SMSBody(message_id: message.messageID, to: "+4791234567", from: from, text: content.text))
            case .email:
                expected = try encoder.encode(EmailBody(
                    message_id: message.messageID, to: "kari@example.no", from: from, subject: content.subject ?? "", text: content.text,
                    html: content.html))
            case .letter:
                expected = try encoder.encode(LetterBody(
                    message_id: message.messageID,
                    address: .init(
                        name: recipient.name!, lines: address.lines, postal_code: address.postalCode ?? "", city: address.city ?? "",
                        country: address.country ?? ""),
                    html: content.html ?? "", text: content.text))
            }
            let written = try HTTPJSONAdapter.body(for: message, from: from)
            #expect(Data(written) == expected, "\(String(decoding: expected, as: UTF8.self))\n\(String(decoding: written, as: UTF8.self))")
            if Data(written) != expected { return }
        }
    }
}
