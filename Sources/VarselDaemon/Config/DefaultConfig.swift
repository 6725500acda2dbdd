/// Built-in defaults under every configuration file. Every legal or policy number lives here or in
/// the file, never as a literal in code.
enum DefaultConfig {
    static let yaml = """
        server:
          host: 127.0.0.1
          port: 8480
          max_body_bytes: 1048576
          max_batch_bytes: 67108864
          max_batch_lines: 10000
          max_concurrent_batches: 2
          tokens_file: ""
          tokens_env: ""
        store:
          backend: sqlite
          path: /var/lib/varsel/varsel.db
          synchronous: full
          url: ""
          password_file: ""
          password_env: ""
          sslmode: prefer
          ssl_root_cert: ""
          pool_size: 8
        templates:
          dir: /etc/varsel/templates
          default_locale: en
          sms_max_parts: 3
        plans:
          dir: /etc/varsel/plans
          # Country → fixed | learned, for plans that do not set timing: (docs/plans.md, learned send hour).
          timing: {}
          learn_paid_within_days: 14
          learn_lookback_days: 180
        dispatch:
          channel_order: [sms, email, letter]
          batch_size: 128
          max_in_flight: 512
          lease_seconds: 300
          poll_interval_ms: 250
          worker_id: ""
          shutdown_grace_seconds: 30
        retry:
          min_backoff: 30s
          max_backoff: 1h
          max_attempts: 10
          max_lifetime: 72h
        fallback:
          on_permanent_failure: true
          on_failed_receipt: true
          receipt_timeout: 72h
        retention:
          enabled: true
          personal_data_days: 90
          record_days: 1826
          sweep_interval: 24h
        policy:
          frequency_cap:
            enabled: true
            max_messages: 3
            window: 7d
            per_kind: { payment_received: 10 }
          contact_windows:
            enabled: true
            spread: 15m
            countries:
              "NO": { weekdays: "08:00-21:00", saturday: "09:00-15:00", sunday: closed, holidays: closed }
              SE: { weekdays: "08:00-21:00", saturday: "09:00-15:00", sunday: closed, holidays: closed }
              DK: { weekdays: "08:00-21:00", saturday: "09:00-15:00", sunday: closed, holidays: closed }
              FI: { every_day: "07:00-22:00", holidays: open }
        channels: {}
        gateways: {}
        # The per-country rule table ships in code (CollectionRules.shipped, docs/collection-rules.md);
        # keys here change it, and creditors may make it stricter.
        collection_rules: { countries: {}, creditors: {} }
        # Template experiments: name → { kind, channel, weights: { a: 50, b: 50 } } (docs/experiments.md).
        experiments: {}
        kinds:
          reminder:
            required_data: [creditor, invoice_number, amount, currency, due_date, deadline, payment_link]
          collection_notice:
            channels: [email, letter]
            channel_rule: "a collection notice must be written (letter or email); SMS alone never counts"
            required_data: [creditor, invoice_number, amount, currency, due_date, deadline, payment_link]
            minimum_deadline_days: { "NO": 14, SE: 8, DK: 10, FI: 10 }
          payment_plan:
            required_data: [creditor, invoice_number, amount, currency, payment_link, installments]
            demands_payment: false
          payment_received:
            required_data: [creditor, invoice_number, amount, currency]
            demands_payment: false
        tone:
          default: direct
          by_country:
            NO: direct
            SE: direct
            DK: direct
            FI: direct
            IS: direct
            DE: direct
            AT: direct
            CH: direct
            NL: direct
            IN: indirect
            JP: indirect
            CN: indirect
            KR: indirect
            TH: indirect
            VN: indirect
            ID: indirect
            SA: indirect
            AE: indirect
            QA: indirect
            KW: indirect
            BH: indirect
            OM: indirect
            MY: indirect
            PH: indirect
            PK: indirect
            BD: indirect
        locales:
          aliases: { "no": nb, nn: nb }
          by_country:
            NO: nb-NO
            SE: sv-SE
            DK: da-DK
            FI: fi-FI
            DE: de-DE
            AT: de-AT
            CH: de-CH
            GB: en-GB
            IE: en-IE
            US: en-US
        """
}
