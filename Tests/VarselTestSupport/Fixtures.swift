import Foundation
import VarselCore

/// Messages and configurations for tests, as the contracts write them.
public enum Fixtures {
    /// A reminder's data. Dates are relative to the day the tests run (the due date a month ago, the
    /// deadline 60 days ahead), so a fixture never goes stale: a deadline in the past is refused.
    public static let data = data()

    public static func data(deadline: String = Fixtures.day(60), dueDate: String = Fixtures.day(-30)) -> String {
        """
        {"creditor":"Fjordkraft AS","invoice_number":"10023","amount":"1250.00","currency":"NOK",\
        "due_date":"\(dueDate)","deadline":"\(deadline)","payment_link":"https://pay.example/abc"}
        """
    }

    /// The date `days` from `from` (today), `YYYY-MM-DD` in UTC.
    public static func day(_ days: Int, from: Date = Date()) -> String {
        String(RFC3339.format(from.addingTimeInterval(Double(days) * 86_400)).prefix(10))
    }

    /// A Norwegian SMS reminder.
    /// A one-template set for `reminder` in `en`: the given SMS, a schema declaring `creditor`
    /// (required) and `creditor_phone` (required when `phoneRequired`, else optional), and a sample.
    public static func writeMiniTemplates(_ directory: TemporaryDirectory, sms: String, phoneRequired: Bool = false) {
        directory.write("reminder/en/direct/sms.mustache", sms)
        directory.write("_schema/reminder.yaml", """
            fields:
              creditor: { type: text, required: true }
              creditor_phone: { type: text, required: \(phoneRequired) }
            """)
        directory.write("_samples/reminder.json", #"{"kind":"reminder","recipient":{"phone":"+4791234567"},"data":{"creditor":"Fjordkraft AS","creditor_phone":"22 12 34 56"}}"#)
    }

    public static func sms(key: String? = nil, phone: String = "+4791234567", extra: String = "") -> String {
        message(key: key, recipient: #""locale":"nb-NO","country":"NO","channels":["sms"],"phone":"\#(phone)""# + extra)
    }

    /// A Swedish email reminder.
    public static func email(key: String? = nil, email: String = "sven@example.se") -> String {
        message(key: key, recipient: #""name":"Sven Svensson","locale":"sv-SE","country":"SE","channels":["email"],"email":"\#(email)""#)
    }

    /// A German letter reminder.
    public static func letter(key: String? = nil, kind: String = "reminder") -> String {
        message(
            key: key, kind: kind,
            recipient: #""name":"Jürgen Müller","locale":"de-DE","country":"DE","channels":["letter"],"address":{"lines":["Hauptstraße 12"],"postal_code":"10115","city":"Berlin","country":"DE"}"#)
    }

    public static func message(key: String? = nil, kind: String = "reminder", recipient: String, data: String = Fixtures.data, extra: String = "") -> String {
        var fields = [#""kind":"\#(kind)""#, #""case_ref":"case-\#(key ?? "x")""#, #""recipient":{\#(recipient)}"#, #""data":\#(data)"#]
        if let key { fields.insert(#""idempotency_key":"\#(key)""#, at: 0) }
        if !extra.isEmpty { fields.append(extra) }
        return "{" + fields.joined(separator: ",") + "}"
    }

    /// A configuration sending all three channels to `gatewayBase` (the sandbox's `/sms`, `/email`, `/letter`).
    public static func config(
        storePath: String, gatewayBase: String, templates: String = Paths.templates, workerID: String = "test",
        maxInFlight: Int = 64, leaseSeconds: Int = 60, timeoutMs: Int = 30_000, extraDispatch: String = "", frequencyCap: Bool = false,
        contactWindows: Bool = false
    ) -> String {
        """
        server: { host: 127.0.0.1, port: 0 }
        store: { path: "\(storePath)" }
        templates: { dir: "\(templates)" }
        dispatch: { worker_id: \(workerID), max_in_flight: \(maxInFlight), batch_size: 64, lease_seconds: \(leaseSeconds), poll_interval_ms: 20\(extraDispatch) }
        policy: { frequency_cap: { enabled: \(frequencyCap) }, contact_windows: { enabled: \(contactWindows) } }
        channels:
          sms: { gateways: [sms-main] }
          email: { gateways: [email-main] }
          letter: { gateways: [letter-main] }
        gateways:
          sms-main: { type: http-json, url: "\(gatewayBase)/sms", from: "Fjordkraft", timeout_ms: \(timeoutMs), connect_timeout_ms: 2000 }
          email-main: { type: http-json, url: "\(gatewayBase)/email", from: "krav@fjordkraft.example", timeout_ms: \(timeoutMs) }
          letter-main: { type: http-json, url: "\(gatewayBase)/letter", timeout_ms: \(timeoutMs) }
        """
    }
}

import Logging

/// A logger that drops everything, for tests that check state rather than log lines.
public let quietLogger = Logger(label: "varsel-test", factory: { _ in SwiftLogNoOpLogHandler() })
