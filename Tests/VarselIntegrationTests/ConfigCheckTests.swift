import Foundation
import Testing
import VarselCore
import VarselDaemon
import VarselGateways
import VarselTestSupport

/// `varsel config check`: every effective value, and never a secret, also not one inside a URL.
@Suite struct ConfigCheckTests {
    /// A configuration with a secret in every place one can hide: userinfo and query of a URL, a
    /// bearer token, a Twilio auth token, a receipt secret, a status callback with a password.
    static let yaml = """
        server: { tokens_env: API_TOKENS }
        channels:
          sms: { gateways: [sms-main, sms-twilio, sms-link] }
          email: { gateways: [email-main, email-smtp] }
        gateways:
          sms-main:
            type: http-json
            url: "https://varsel:hunter2pass@sms.example/v1/messages?token=tok-secret-1&api_key=key-secret-2&region=eu&Sig=sig-secret-3#access_token=frag-secret-4"
            from: Fjordkraft
            token_env: SMS_TOKEN
            rate_limit: 20
            rate_burst: 40
            breaker_failures: 7
            breaker_cool_down: 45s
            classify: [ { status: 400, json_field: error.code, equals: THROTTLED, outcome: transient } ]
            receipts: { format: generic, signature: hmac-sha256, secret_env: RECEIPT_SECRET, max_age_seconds: 120 }
          sms-twilio:
            type: twilio
            url: https://api.twilio.com
            account_sid: AC0123456789
            auth_token_env: TWILIO_TOKEN
            from: Fjordkraft
            status_callback: "https://cb:callback-pass-5@varsel.example/v1/receipts/sms-twilio?secret=cb-secret-6"
            receipts: { signature: twilio, public_url: "https://varsel.example/v1/receipts/sms-twilio" }
          email-main: { type: http-json, url: "https://mail.example/v1/send?key=mail-key-7&password=mail-pass-8", from: "krav@fjordkraft.example" }
          sms-link:
            type: linkmobility
            url: https://n-eu.linkmobility.io
            platform_id: COMMON_API
            platform_partner_id: "42"
            username_env: LINK_USER
            password_env: LINK_PASSWORD
            from: Fjordkraft
            delivery_report_gate: gate-1
            receipts: { signature: basic, username_env: DLR_USER, password_env: DLR_PASSWORD }
          email-smtp: { type: smtp, url: "smtp://relay.example:587", from: "krav@fjordkraft.example", username_env: SMTP_USER, password_env: SMTP_PASSWORD }
        policy:
          frequency_cap: { max_messages: 4, window: 5d, per_kind: { payment_received: 9 } }
          contact_windows:
            spread: 20m
            countries:
              "NO": { fri: "08:00-18:00" }
              IS: { weekdays: "09:00-17:00", holidays: closed }
        retry: { min_backoff: 40s, max_backoff: 2h, max_attempts: 6, max_lifetime: 48h }
        fallback: { on_failed_receipt: false }
        kinds:
          collection_notice: { minimum_deadline_days: { "NO": 15 } }
        tone: { default: indirect, by_country: { PL: direct } }
        locales: { aliases: { se: sv }, by_country: { PL: pl-PL } }
        experiments: { sms-wording: { kind: reminder, channel: sms, weights: { b: 30, a: 70 } } }
        """

    static let environment = [
        "SMS_TOKEN": "bearer-secret-9", "RECEIPT_SECRET": "receipt-secret-10", "TWILIO_TOKEN": "twilio-secret-11",
        "API_TOKENS": "enqueue,read static-token-secret-12", "LINK_USER": "link-user-13", "LINK_PASSWORD": "link-pass-14",
        "DLR_USER": "dlr-user-15", "DLR_PASSWORD": "dlr-pass-16", "SMTP_USER": "smtp-user-17", "SMTP_PASSWORD": "smtp-pass-18",
    ]

    static let secrets = [
        "hunter2pass", "tok-secret-1", "key-secret-2", "sig-secret-3", "frag-secret-4", "callback-pass-5", "cb-secret-6", "mail-key-7",
        "mail-pass-8", "bearer-secret-9", "receipt-secret-10", "twilio-secret-11", "static-token-secret-12", "link-user-13", "link-pass-14",
        "dlr-user-15", "dlr-pass-16", "smtp-user-17", "smtp-pass-18",
    ]

    static func describe() throws -> String {
        let config = try ConfigLoader.load(yaml: yaml, baseDirectory: "/etc/varsel", environment: environment)
        return EffectiveConfig.describe(config, now: RFC3339.parseTimestamp("2027-05-01T12:00:00Z")!)
    }

    @Test("a URL loses the password of its userinfo and every query or fragment value whose name suggests a secret, and says what was redacted")
    func urlRedaction() {
        let redaction = URLRedaction.redact("https://user:pa%3Ass@host.example:8443/p/a?x=1&token=abc&API-KEY=def&sig=ghi&plain=ok#access_token=jkl")
        #expect(redaction.text == "https://user:***@host.example:8443/p/a?x=1&token=***&API-KEY=***&sig=***&plain=ok#access_token=***")
        #expect(redaction.redacted == ["password", "query value token", "query value API-KEY", "query value sig", "query value access_token"])
        // A user name alone is often a token (e.g. an API key as the Basic auth user).
        #expect(URLRedaction.redact("https://key-0123456789@api.example/v3").text == "https://***@api.example/v3")
        // An @ in the path or query is not userinfo.
        #expect(URLRedaction.redact("https://host.example/a@b?mail=x@y.example").text == "https://host.example/a@b?mail=x@y.example")
        #expect(URLRedaction.redact("https://sms.example/v1/messages").redacted.isEmpty)
        for name in ["token", "access_token", "api_key", "apikey", "key", "secret", "client_secret", "password", "passwd", "pwd", "sig", "signature",
                     "X-Amz-Signature", "X-Amz-Credential", "auth", "session_id"] {
            #expect(URLRedaction.isSecretName(name), "\(name) should be redacted")
        }
        for name in ["region", "format", "lang", "to", "from", "sender"] {
            #expect(!URLRedaction.isSecretName(name), "\(name) should be shown")
        }
    }

    @Test("a gateway's description shows its URL redacted")
    func gatewayDescription() {
        let gateway = GatewayConfiguration(name: "sms-main", kind: .httpJSON, url: "https://user:hunter2@sms.example/send?token=t0k3n&region=eu")
        #expect(gateway.description == "gateway sms-main (http-json) https://user:***@sms.example/send?token=***&region=eu")
        #expect(!gateway.description.contains("hunter2") && !gateway.description.contains("t0k3n"))
    }

    @Test("no secret appears anywhere in the output: tokens, receipt secrets, URL passwords, secret-like query values")
    func noSecrets() throws {
        let output = try Self.describe()
        for secret in Self.secrets {
            #expect(!output.contains(secret), "\(secret) leaked:\n\(output)")
        }
        #expect(output.contains("https://varsel:***@sms.example/v1/messages?token=***&api_key=***&region=eu&Sig=***#access_token=***"))
        #expect(output.contains("# redacted: password, query value token, query value api_key, query value Sig, query value access_token"))
        #expect(output.contains("https://cb:***@varsel.example/v1/receipts/sms-twilio?secret=***"))
        #expect(output.contains("token: <redacted>"))
        #expect(output.contains("auth_token: <redacted>"))
        #expect(output.contains("secret: <redacted>"))
    }

    @Test("every section is printed with its effective values: retry, fallback, policy, tone, locales, kinds, and each gateway's limits, rules and receipts")
    func everySection() throws {
        let output = try Self.describe()
        let expected = [
            "server: { host: 127.0.0.1, port: 8480, max_body_bytes: 1048576, max_batch_bytes: 67108864, max_batch_lines: 10000, max_concurrent_batches: 2 }",
            "static tokens (server.tokens_file / tokens_env): [enqueue, read] <redacted>",
            "store: { backend: sqlite, path: /var/lib/varsel/varsel.db, synchronous: full }",
            "templates: { dir: /etc/varsel/templates, default_locale: en, sms_max_parts: 3 }",
            "plans: { dir: /etc/varsel/plans, timing: {}, learn_paid_within_days: 14, learn_lookback_days: 180 }",
            "dispatch: { channel_order: [sms, email, letter], batch_size: 128, max_in_flight: 512, lease_seconds: 300",
            "retry: { min_backoff: 40s, max_backoff: 2h, max_attempts: 6, max_lifetime: 2d }",
            "fallback: { on_permanent_failure: true, on_failed_receipt: false, receipt_timeout: 3d }",
            "retention: { enabled: true, personal_data_days: 90, record_days: 1826, sweep_interval: 1d }",
            "policy:",
            "  frequency_cap: { enabled: true, max_messages: 4, window: 5d, per_kind: { payment_received: 9 } }",
            "  contact_windows:",
            "    enabled: true",
            "    spread: 20m",
            #"      "NO": { mon: "08:00-21:00", tue: "08:00-21:00", wed: "08:00-21:00", thu: "08:00-21:00", fri: "08:00-18:00", saturday: "09:00-15:00", sunday: closed, holidays: closed }"#,
            "        # closed on NO's public holidays, computed for any year; 2027: 01-01 New Year's Day, 03-25 Maundy Thursday",
            "05-17 Constitution Day; Whit Monday",
            #"      FI: { every_day: "07:00-22:00", holidays: open }"#,
            #"      IS: { weekdays: "09:00-17:00", saturday: closed, sunday: closed, holidays: closed }"#,
            "        # no public holiday calendar for IS: holidays: closed has no effect",
            "  sms: { gateways: [sms-main, sms-twilio, sms-link] }",
            "    type: linkmobility",
            "    platform_id: COMMON_API",
            "      signature: basic",
            "      username: <redacted>",
            "    type: smtp",
            "    rate_limit: 20   # requests per second",
            "    rate_burst: 40",
            "    breaker_failures: 7",
            "    breaker_cool_down: 45s",
            "    classify:   # first match wins, before the default classes",
            "      - { status: 400, json_field: error.code, equals: THROTTLED, outcome: transient }",
            "    receipts:   # POST /v1/receipts/sms-main",
            "      format: generic",
            "      signature: hmac-sha256",
            "      max_age_seconds: 120",
            "    account_sid: AC0123456789",
            "      signature: twilio   # checked with the auth token: <redacted>",
            #"      public_url: "https://varsel.example/v1/receipts/sms-twilio""#,
            "    receipts: none   # POST /v1/receipts/email-main is refused",
            "    rate_limit: none",
            "    breaker_failures: 5",
            "    classify: []   # the default classes only",
            "collection_notice: { channels: [email, letter], channel_rule:",
            #"minimum_deadline_days: { DK: 10, FI: 10, "NO": 15, SE: 8 }"#,
            "  reminder: { channels: any, required_data: [creditor, invoice_number, amount, currency, due_date, deadline, payment_link], minimum_deadline_days: {}, demands_payment: true, legal_step: reminder }",
            "demands_payment: false, legal_step: none }",
            "collection_rules:",
            #"    "NO":"#,
            "      notice_minimum_days: 14",
            "      fee_cap: 35.00",
            "      fee_reminders_max: 2",
            #"      notice_channels: { email: used_address, letter: always }"#,
            #"      notice_minimum_days: "inkassoloven § 9""#,
            "      notice_counts_from: presumed_receipt",
            "  creditors: {}",
            "experiments:",
            "  sms-wording: { kind: reminder, channel: sms, weights: { a: 70, b: 30 } }",
            "tone:",
            "  default: indirect",
            "PL: direct",
            "IN: indirect",
            "locales:",
            "  aliases: { nn: nb, \"no\": nb, se: sv }",
            "PL: pl-PL",
            "SE: sv-SE",
        ]
        for line in expected {
            #expect(output.contains(line), "missing \(line):\n\(output)")
        }
    }

    @Test("varsel config check prints the same, secrets from the environment redacted, and exits 0")
    func command() async throws {
        let directory = TemporaryDirectory()
        let path = directory.write("varsel.yaml", Self.yaml)
        let child = try ChildProcess(arguments: ["config", "check", "--config", path], environment: Self.environment)
        #expect(await child.wait() == 0, "\(child.stderr)")
        for secret in Self.secrets {
            #expect(!child.stdout.contains(secret) && !child.stderr.contains(secret), "\(secret) leaked")
        }
        for section in ["retry:", "fallback:", "policy:", "frequency_cap:", "contact_windows:", "tone:", "locales:", "kinds:", "minimum_deadline_days:",
                        "receipts:", "classify:", "rate_limit:", "breaker_failures:", "breaker_cool_down:", "public holidays"] {
            #expect(child.stdout.contains(section), "no \(section) in:\n\(child.stdout)")
        }
        #expect(child.stdout.contains("varsel:***@sms.example"))
    }
}
