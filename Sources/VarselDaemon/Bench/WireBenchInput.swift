import Foundation
import VarselCore

/// What `varsel bench --gateway` hands its `varsel` children: the configuration file of a run and
/// the messages it enqueues, the same for every run so that runs and machines can be compared.
enum WireBenchInput {
    /// Which channels the messages go to.
    enum Mix: String, Sendable, CaseIterable {
        /// 60 % Norwegian SMS, 30 % Swedish email, 10 % German letter: a creditor's usual spread.
        case mixed
        /// Norwegian SMS only: the cheapest message to render and send.
        case sms
    }

    /// The configuration of one run: the API on a port the kernel picks (announced in the `ready`
    /// log line) on 127.0.0.1, a SQLite store in `directory`, the shipped templates, no contact windows,
    /// frequency cap or retention sweep (they would hold messages back or add work that is not sending),
    /// and each channel to an `http-json` gateway at `gateway` + `/sms`, `/email`, `/letter`. Four
    /// batches may run at once: the batch figure's four clients (the default, two, refuses the others).
    ///
    /// With `postgres` (a database URL) the store is that database instead, its password (if any)
    /// from `PGPASSWORD`, which the children inherit.
    static func configuration(directory: URL, templates: String, gateway: String, connections: Int, postgres: String? = nil) -> String {
        let path = directory.appendingPathComponent("varsel.db").path
        let store = postgres.map { url in
            let password = ProcessInfo.processInfo.environment["PGPASSWORD"] == nil ? "" : ", password_env: PGPASSWORD"
            return "{ backend: postgres, url: \"\(url)\", path: \"\(path)\"\(password) }"
        } ?? "{ path: \"\(path)\" }"
        return """
        server: { host: 127.0.0.1, port: 0, max_concurrent_batches: 4 }
        store: \(store)
        templates: { dir: "\(templates)", default_locale: en }
        dispatch: { worker_id: bench }
        policy:
          contact_windows: { enabled: false }
          frequency_cap: { enabled: false }
        retention: { enabled: false }
        channels:
          sms: { gateways: [gw-sms] }
          email: { gateways: [gw-email] }
          letter: { gateways: [gw-letter] }
        gateways:
          gw-sms: { type: http-json, url: "\(gateway)/sms", from: Fjordkraft, max_connections: \(connections) }
          gw-email: { type: http-json, url: "\(gateway)/email", from: "krav@fjordkraft.example", max_connections: \(connections) }
          gw-letter: { type: http-json, url: "\(gateway)/letter", max_connections: \(connections) }

        """
    }

    /// Message `index` of a run: idempotency key `prefix-index` (a run's keys are its own), a
    /// reminder with the data the shipped templates ask for. With `sendAfter` nothing is dispatched
    /// before then (the HTTP enqueue figures), and no idempotency key is set (each POST is a new message).
    static func message(index: Int, mix: Mix, prefix: String, sendAfter: Date? = nil) -> MessageRequest {
        let recipient: Recipient
        switch mix == .sms ? 0 : index % 10 {
        case 0..<6:
            recipient = Recipient(
                id: "\(prefix)-r\(index)", name: "Kari Nordmann", locale: "nb-NO", country: "NO", channels: [.sms, .email],
                phone: "+4791" + String(format: "%06d", index % 1_000_000), email: "kari\(index)@example.no")
        case 6..<9:
            recipient = Recipient(
                id: "\(prefix)-r\(index)", name: "Sven Svensson", locale: "sv-SE", country: "SE", channels: [.email],
                email: "sven\(index)@example.se")
        default:
            recipient = Recipient(
                id: "\(prefix)-r\(index)", name: "Hans Müller", locale: "de-DE", country: "DE", channels: [.letter],
                address: PostalAddress(lines: ["Hauptstraße 1"], postalCode: "10115", city: "Berlin", country: "DE"))
        }
        let data: [String: JSONValue] = [
            "creditor": .string("Fjordkraft AS"), "invoice_number": .string("9" + String(format: "%06d", index % 1_000_000)),
            "amount": .string("1250.00"), "currency": .string("NOK"), "due_date": .string("2026-11-01"), "deadline": .string("2027-01-20"),
            "payment_link": .string("https://pay.example/\(index)"),
        ]
        return MessageRequest(
            idempotencyKey: sendAfter == nil ? "\(prefix)-\(index)" : nil, kind: "reminder", caseRef: "C-\(index)",
            recipient: recipient, data: data, sendAfter: sendAfter)
    }

    /// `count` messages as NDJSON, one per line, each line ending in a newline.
    static func ndjson(count: Int, mix: Mix, prefix: String, sendAfter: Date? = nil) throws -> Data {
        let encoder = VarselJSON.encoder()
        var data = Data()
        for index in 0..<count {
            data.append(try encoder.encode(message(index: index, mix: mix, prefix: prefix, sendAfter: sendAfter)))
            data.append(UInt8(ascii: "\n"))
        }
        return data
    }

    /// 2030-01-01T08:00:00Z: far enough ahead that nothing enqueued for the HTTP figures is sent.
    static let farFuture = Date(timeIntervalSince1970: 1_893_484_800)
}
