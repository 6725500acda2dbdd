import Foundation
import VarselCore
import VarselGateways
import VarselPostgres
import VarselStore
import VarselTemplates

/// What the CLI's one-shot commands do, so the executable stays argument parsing only.
public enum CommandActions {
    /// `varsel enqueue FILE|-`: validates and stores what is read from `descriptor` as it is read,
    /// one result per input line, handed to `sink` chunk by chunk as each is committed.
    public static func enqueue(
        reading descriptor: Int32, config: VarselConfig, sink: @escaping EnqueueBatch.ResultSink
    ) async throws -> EnqueueBatch.Tally {
        // The store opens while the schemas are read and the first lines validated (a new store's
        // schema is made meanwhile); the first chunk is written once it is open.
        try await withStoreOpening(config) { opening in
            // Data is held to the kinds' schemas. Only the schemas are read: parsing the set's templates
            // would cost more than enqueueing thousands of messages. Schemas that do not parse leave the
            // check to the daemon's last good set.
            var dataCheck: MessageValidator.DataCheck?
            if let schemas = TemplateSetLoader.readSchemas(config.templates.directory) {
                dataCheck = { kind, data in SchemaDataCheck.enqueueProblems(kind: kind, data: data, schemas: schemas, builtInRulesPassed: true) }
            }
            let validator = MessageValidator(kinds: config.planning.kinds, collectionRules: config.planning.collectionRules, dataCheck: dataCheck)
            return try await EnqueueBatch.run(reading: descriptor, validator: validator, store: .opening(opening), sink: sink)
        }
    }

    /// `varsel migrate`: brings the store's schema up to date and says what it did.
    public static func migrate(config: VarselConfig) async throws -> String {
        try await withStore(config) { store in
            let applied = store.migrationsApplied
            return "store \(store.location): schema \(store.schemaVersion)"
                + (applied.isEmpty ? ", already current" : "; applied \(applied.count) migration(s): \(applied.joined(separator: ", "))")
        }
    }

    /// `varsel purge`: one retention sweep on the local store, or with `dryRun` what it would delete.
    public static func purge(dryRun: Bool, config: VarselConfig) async throws -> String {
        let outcome = try await withStore(config) { store in
            try await RetentionSweep.run(store: store, retention: config.retention, dryRun: dryRun, now: Date())
        }
        let cutoffs = config.retention.cutoffs(now: Date())
        let verb = dryRun ? "would be deleted" : "deleted"
        return """
            \(dryRun ? "dry run: nothing was deleted" : "retention sweep done")
            personal data (rendered content, contact data, raw receipts) of \(outcome.contentPurged) message(s) \(verb): terminal before \(RFC3339.format(cutoffs.personalData)) (\(config.retention.personalDataDays) days)
            whole records of \(outcome.recordsDeleted) message(s) \(verb): terminal before \(RFC3339.format(cutoffs.records)) (\(config.retention.recordDays) days)
            """
    }

    /// `varsel status`: the status contract as JSON, or as text; `nil` for an unknown id.
    public static func status(id: String, json: Bool, config: VarselConfig) async throws -> String? {
        guard let status = try await withStore(config, { store in try await store.status(id: id) }) else { return nil }
        return json ? try StatusText.json(status) : StatusText.human(status)
    }

    /// `varsel intake errors`: rejected intake rows, one line (or JSON object) each.
    public static func intakeErrors(limit: Int, json: Bool, config: VarselConfig) async throws -> [String] {
        try await withStore(config) { store in
            guard let intake = store as? any IntakeStore else {
                throw CommandError("transactional intake needs store.backend: postgres; this configuration uses \(store.location)")
            }
            return try await intake.intakeErrors(limit: limit, before: nil).map { row in
                if json {
                    let object = APIServer.intakeErrorObject(row)
                    return String(decoding: (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data(), as: UTF8.self)
                }
                return "\(row.intakeID)  received \(RFC3339.format(row.receivedAt))  rejected \(RFC3339.format(row.rejectedAt))  \(row.error)"
            }
        }
    }

    /// `varsel token create`: a new token, printed once; only its hash is stored.
    public static func createToken(scopes: [String], label: String?, config: VarselConfig) async throws -> (token: String, id: String) {
        let valid = Set(Scope.allCases.map(\.rawValue))
        guard !scopes.isEmpty, scopes.allSatisfy(valid.contains) else {
            throw CommandError("--scopes: use a comma-separated list of \(Scope.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let token = TokenFormat.generate()
        let stored = try await withStore(config) { store in
            try await store.createToken(hash: TokenFormat.hash(token), scopes: scopes, label: label, now: Date())
        }
        return (token, stored.id)
    }

    /// `varsel token list`: ids, scopes, labels and dates; never the tokens.
    public static func listTokens(config: VarselConfig) async throws -> [String] {
        try await withStore(config) { store in try await store.tokens() }.map { token in
            "\(token.id)  \(token.scopes.joined(separator: ","))  created \(RFC3339.format(token.createdAt))"
                + (token.revokedAt.map { "  revoked \(RFC3339.format($0))" } ?? "") + (token.label.map { "  \($0)" } ?? "")
        }
    }

    /// `varsel token revoke ID`.
    public static func revokeToken(id: String, config: VarselConfig) async throws {
        guard try await withStore(config, { store in try await store.revokeToken(id: id, now: Date()) }) else { throw CommandError("no token with id \(id)") }
    }

    /// `varsel cancel`: on the local store; prints what was cancelled and what had already gone.
    public static func cancel(ids: [String]?, caseRef: String?, reason: String, config: VarselConfig) async throws -> String {
        let outcome = try await withStore(config) { store in try await store.cancel(ids: ids, caseRef: caseRef, reason: reason, now: Date()) }
        let object: [String: Any] = [
            "cancelled": outcome.cancelled.count, "already_sent": outcome.alreadySent.count, "cancelled_ids": outcome.cancelled,
            "already_sent_ids": outcome.alreadySent, "already_finished_ids": outcome.alreadyFinished,
        ]
        return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    /// `varsel templates check`: what to print (SMS table and coverage matrix), the problems as
    /// `DIR/file:line:column: severity: message`, a summary, and whether the set is free of errors.
    public static func checkTemplates(
        _ directory: String, options: TemplateCheckOptions, quiet: Bool = false
    ) -> (output: String, problems: [String], summary: String, ok: Bool) {
        let set: TemplateSet
        do {
            set = try TemplateSet(directory: directory, files: TemplateSetLoader.readFiles(directory))
        } catch {
            let lines = TemplateCheckText.problems(error.problems, directory: directory)
            return ("", lines, "\(directory): \(error.problems.count) error(s); the set cannot be read", false)
        }
        let report = TemplateCheck.run(set, options: options)
        let output = quiet ? "" : TemplateCheckText.smsTable(report.sms) + "\n" + TemplateCheckText.coverageMatrix(report.coverage)
        let summary = "\(directory): \(set.keys.count) template variants, \(report.errors.count) error(s), \(report.warnings.count) warning(s)"
        return (output, TemplateCheckText.problems(report.problems, directory: directory), summary, report.errors.isEmpty)
    }

    /// `varsel plans check`: each plan's steps by day (what to print), the problems of reading and of
    /// `PlanCheck` as `file:line:column: severity: message`, a summary, and whether the set is free
    /// of errors. The rules and kinds are the configuration's, or without one the shipped ones.
    public static func checkPlans(_ directory: String, config: VarselConfig?) -> (output: String, problems: [String], summary: String, ok: Bool) {
        let rules = config?.planning.collectionRules ?? .shipped
        let kinds = config?.planning.kinds ?? KindRule.shipped
        let loaded = PlanSetLoader.load(directory: directory)
        let problems = (loaded.problems + PlanCheck.problems(loaded.plans, rules: rules, kinds: kinds)).sorted()
        var lines: [String] = []
        for plan in loaded.plans.values.sorted(by: { $0.name < $1.name }) {
            lines.append("\(plan.name) (\(plan.country))" + (plan.about.isEmpty ? "" : ": \(plan.about)"))
            for (step, day) in zip(plan.steps, plan.stepDays) {
                var parts = ["  day \(day): \(step.name), \(step.kind)"]
                if let channels = step.channels { parts.append("by " + channels.map(\.rawValue).joined(separator: ", ")) }
                if let fee = step.fee { parts.append("fee \(fee)") }
                if let deadline = step.deadlineDays { parts.append("deadline \(deadline) days") }
                if let above = step.skipIfAmountAbove { parts.append("skipped above \(above)") }
                if let above = step.onlyIfAmountAbove { parts.append("only above \(above)") }
                lines.append(parts.joined(separator: "; "))
            }
        }
        let errors = problems.filter { $0.severity == .error }.count
        let summary = "\(directory): \(loaded.plans.count) plan(s), \(errors) error(s), \(problems.count - errors) warning(s)"
        return (lines.joined(separator: "\n"), problems.map(\.description), summary, errors == 0)
    }
}

/// `varsel config check`: every effective value, section by section in the order of the built-in
/// defaults, with secrets redacted: tokens, auth tokens and receipt secrets are never printed, and a
/// URL loses the password of its userinfo and every query value whose name suggests a secret
/// (`URLRedaction`), with a note saying what was redacted.
public enum EffectiveConfig {
    /// The store; for PostgreSQL the URL rebuilt from its parts (a password never is one) and where
    /// the password comes from, never the password.
    static func storeLine(_ store: VarselConfig.Store) -> String {
        guard store.backend == .postgres, let settings = store.postgres else {
            return "store: { backend: \(store.backend), path: \(quoted(store.path)), synchronous: \(store.synchronous.rawValue.lowercased()) }"
        }
        let url: String
        switch settings.endpoint {
        case .tcp(let host, let port): url = "postgres://\(settings.user)@\(host.contains(":") ? "[\(host)]" : host):\(port)/\(settings.database)"
        case .unixSocket(let path): url = "postgres://\(settings.user)@/\(settings.database)?host=\(URL(fileURLWithPath: path).deletingLastPathComponent().path)"
        }
        let password = store.passwordSource.map { "<redacted> (\($0))" } ?? "none"
        return "store: { backend: postgres, url: \(quoted(url)), password: \(password), sslmode: \(settings.sslMode.rawValue)"
            + (settings.sslRootCert.map { ", ssl_root_cert: \(quoted($0))" } ?? "") + ", pool_size: \(settings.poolSize), path: \(quoted(store.path)) }"
    }

    public static func describe(_ config: VarselConfig, now: Date = Date()) -> String {
        var lines: [String] = [
            "# effective configuration from \(config.file ?? "(defaults)"): the file over the built-in defaults, VARSEL_* environment overrides applied",
            "# secrets redacted: tokens, auth tokens, receipt secrets, URL passwords and secret-like query values print as <redacted> or ***",
        ]
        let server = config.server
        lines.append("server: { host: \(server.host), port: \(server.port), max_body_bytes: \(server.maxBodyBytes), max_batch_bytes: \(server.maxBatchBytes), max_batch_lines: \(server.maxBatchLines), max_concurrent_batches: \(server.maxConcurrentBatches) }")
        if !server.staticTokens.isEmpty {
            let scopes = server.staticTokens.map { "[\($0.scopes.joined(separator: ", "))] <redacted>" }
            lines.append("  # static tokens (server.tokens_file / tokens_env): \(scopes.joined(separator: "; "))")
        }
        lines.append(storeLine(config.store))
        lines.append("templates: { dir: \(quoted(config.templates.directory)), default_locale: \(config.templates.defaultLocale), sms_max_parts: \(config.templates.smsMaxParts) }")
        let timing = config.plans.timingByCountry.isEmpty ? "{}" : map(config.plans.timingByCountry.mapValues(\.rawValue))
        lines.append("plans: { dir: \(quoted(config.plans.directory)), timing: \(timing), learn_paid_within_days: \(config.plans.learnPaidWithinDays), learn_lookback_days: \(config.plans.learnLookbackDays) }")
        let dispatch = config.dispatch
        lines.append("dispatch: { channel_order: \(list(dispatch.channelOrder.map(\.rawValue))), batch_size: \(dispatch.batchSize), max_in_flight: \(dispatch.maxInFlight), lease_seconds: \(number(dispatch.leaseSeconds)), poll_interval_ms: \(dispatch.pollIntervalMilliseconds), worker_id: \(quoted(dispatch.workerID)), shutdown_grace_seconds: \(number(dispatch.shutdownGraceSeconds)) }")
        let retry = config.retry
        lines.append("retry: { min_backoff: \(duration(retry.minBackoff)), max_backoff: \(duration(retry.maxBackoff)), max_attempts: \(retry.maxAttempts), max_lifetime: \(duration(retry.maxLifetime)) }")
        lines.append(
            "fallback: { on_permanent_failure: \(config.fallback.onPermanentFailure), on_failed_receipt: \(config.fallback.onFailedReceipt), "
                + "receipt_timeout: \(config.fallback.receiptTimeout > 0 ? duration(config.fallback.receiptTimeout) : "0 (never)") }")
        let retention = config.retention
        lines.append("retention: { enabled: \(retention.enabled), personal_data_days: \(retention.personalDataDays), record_days: \(retention.recordDays), sweep_interval: \(duration(retention.sweepInterval)) }")
        lines += policy(config, now: now)
        lines.append("channels:")
        for (channel, gateways) in config.channels.sorted(by: { $0.key < $1.key }) {
            lines.append("  \(channel.rawValue): { gateways: \(list(gateways)) }")
        }
        lines.append("gateways:")
        for (name, gateway) in config.gateways.sorted(by: { $0.key < $1.key }) {
            lines.append("  \(name):")
            lines += self.gateway(gateway).map { "    " + $0 }
        }
        lines.append("kinds:")
        for (name, kind) in config.planning.kinds.sorted(by: { $0.key < $1.key }) {
            var fields = ["channels: " + (kind.allowedChannels.map { list($0.sorted().map(\.rawValue)) } ?? "any")]
            if let rule = kind.channelRuleReason { fields.append("channel_rule: \(quoted(rule))") }
            fields.append("required_data: \(list(kind.requiredData))")
            fields.append("minimum_deadline_days: " + (kind.minimumDeadlineDays.isEmpty ? "{}" : map(kind.minimumDeadlineDays.mapValues(String.init))))
            fields.append("demands_payment: \(kind.demandsPayment)")
            fields.append("legal_step: \(kind.legalStep.rawValue)")
            lines.append("  \(name): { \(fields.joined(separator: ", ")) }")
        }
        lines += collectionRules(config.planning.collectionRules)
        lines.append("experiments:" + (config.planning.experiments.experiments.isEmpty ? " {}" : ""))
        for experiment in config.planning.experiments.experiments.sorted(by: { $0.name < $1.name }) {
            let weights = experiment.weights.map { "\($0.variant): \($0.weight)" }.joined(separator: ", ")
            lines.append("  \(experiment.name): { kind: \(experiment.kind), channel: \(experiment.channel.rawValue), weights: { \(weights) } }")
        }
        let planning = config.planning
        lines.append("tone:")
        lines.append("  default: \(planning.defaultTone.rawValue)")
        lines.append("  by_country: \(map(planning.toneByCountry.mapValues(\.rawValue)))")
        lines.append("locales:")
        lines.append("  aliases: \(map(planning.localeAliases))")
        lines.append("  by_country: \(map(planning.localeByCountry))")
        return lines.joined(separator: "\n")
    }

    /// `collection_rules:` — each country's rules with their sources, and creditors' stricter ones.
    static func collectionRules(_ rules: CollectionRules) -> [String] {
        func describe(_ country: CountryRules, indent: String) -> [String] {
            var fields = [
                "notice_minimum_days: \(country.noticeMinimumDays)", "notice_counts_from: \(country.noticeCountsFrom.rawValue)",
                "presumed_receipt_days: " + map(Dictionary(uniqueKeysWithValues: country.presumedReceiptDays.map { ($0.key.rawValue, String($0.value)) })),
                "reminder_earliest_days_after_due: \(country.reminderEarliestDaysAfterDue)",
                "fee_earliest_days_after_due: \(country.feeEarliestDaysAfterDue)",
                "fee_cap: " + (country.feeCap.map(quoted) ?? "null"), "fee_currency: " + (country.feeCurrency ?? "null"),
                "fee_requires_agreement: \(country.feeRequiresAgreement)", "fee_reminders_max: " + (country.feeRemindersMax.map(String.init) ?? "null"),
                "fee_reminders_min_days_apart: \(country.feeRemindersMinDaysApart)", "steps_min_days_apart: \(country.stepsMinDaysApart)",
                "steps_max_days_apart: " + (country.stepsMaxDaysApart.map(String.init) ?? "null"),
                "notice_channels: " + map(Dictionary(uniqueKeysWithValues: country.noticeChannels.map { ($0.key.rawValue, $0.value.rawValue) })),
            ]
            fields = fields.map { indent + "  " + $0 }
            return fields + [indent + "  sources:"] + country.sources.sorted { $0.key < $1.key }.map { indent + "    \($0.key): \(quoted($0.value))" }
        }
        var lines = ["collection_rules:", "  countries:"]
        for (code, country) in rules.countries.sorted(by: { $0.key < $1.key }) {
            lines.append("    \(quoted(code)):")
            lines += describe(country, indent: "    ")
        }
        lines.append("  creditors:" + (rules.creditors.isEmpty ? " {}" : ""))
        for (creditor, countries) in rules.creditors.sorted(by: { $0.key < $1.key }) {
            lines.append("    \(quoted(creditor)):")
            for (code, country) in countries.sorted(by: { $0.key < $1.key }) {
                lines.append("      \(quoted(code)):")
                lines += describe(country, indent: "      ")
            }
        }
        return lines
    }

    /// `policy:` — the frequency cap, and the contact windows with each country's public holidays.
    static func policy(_ config: VarselConfig, now: Date) -> [String] {
        var lines = ["policy:"]
        let cap = config.frequencyCap
        lines.append("  frequency_cap: { enabled: \(cap.enabled), max_messages: \(cap.maxMessages), window: \(duration(cap.window)), per_kind: \(map(cap.perKind.mapValues(String.init))) }")
        let windows = config.contactWindows
        lines.append("  contact_windows:")
        lines.append("    enabled: \(windows.enabled)" + (windows.enabled ? "" : "   # no window applies: messages go at any hour"))
        lines.append("    spread: \(duration(config.windowSpread))")
        lines.append("    countries:" + (windows.rules.isEmpty ? " {}" : ""))
        let year = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: now).year ?? 2026
        for (country, rule) in windows.rules.sorted(by: { $0.key < $1.key }) {
            lines.append("      \(quoted(country)): \(windowRule(rule))")
            guard rule.closedOnHolidays else { continue }
            let holidays = PublicHolidays.holidays(country: country, year: year).sorted { $0.key.dayNumber < $1.key.dayNumber }
            if holidays.isEmpty {
                lines.append("        # no public holiday calendar for \(country): holidays: closed has no effect")
            } else {
                let days = holidays.map { date, name in "\(String(format: "%02d-%02d", date.month, date.day)) \(name)" }
                lines.append("        # closed on \(country)'s public holidays, computed for any year; \(year): \(days.joined(separator: ", "))")
            }
        }
        return lines
    }

    /// A country's window in the configuration's own words: `weekdays`/`saturday`/`sunday` (or
    /// `every_day`, or one key per weekday when they differ) as `"HH:MM-HH:MM"` or `closed`.
    static func windowRule(_ rule: ContactWindowRule) -> String {
        func day(_ number: Int) -> String { rule.open[number].map { "\"\($0.start)-\($0.end)\"" } ?? "closed" }
        var parts: [String] = []
        let week = (1...7).map(day)
        if Set(week).count == 1 {
            parts.append("every_day: \(week[0])")
        } else {
            if Set(week[0..<5]).count == 1 {
                parts.append("weekdays: \(week[0])")
            } else {
                for (index, name) in ["mon", "tue", "wed", "thu", "fri"].enumerated() { parts.append("\(name): \(week[index])") }
            }
            parts.append("saturday: \(week[5])")
            parts.append("sunday: \(week[6])")
        }
        parts.append("holidays: \(rule.closedOnHolidays ? "closed" : "open")")
        return "{ \(parts.joined(separator: ", ")) }"
    }

    /// One gateway's values, one per line; secrets as `<redacted>`, URLs through `URLRedaction`.
    static func gateway(_ gateway: GatewayConfiguration) -> [String] {
        var lines = ["type: \(gateway.kind.rawValue)", url("url", gateway.url)]
        if let from = gateway.from { lines.append("from: \(quoted(from))") }
        if gateway.kind == .httpJSON { lines.append("id_field: \(quoted(gateway.idField))") }
        if gateway.bearerToken != nil { lines.append("token: <redacted>") }
        if let sid = gateway.accountSID { lines.append("account_sid: \(quoted(sid))") }
        if gateway.authToken != nil { lines.append("auth_token: <redacted>") }
        if let service = gateway.messagingServiceSID { lines.append("messaging_service_sid: \(quoted(service))") }
        let typed: Set<String> = ["id_field", "account_sid", "messaging_service_sid", "status_callback", "token", "auth_token"]
        for (key, value) in gateway.options.sorted(by: { $0.key < $1.key }) where !typed.contains(key) {
            lines.append(value.contains("://") ? url(key, value) : "\(key): \(quoted(value))")
        }
        for key in gateway.secrets.keys.sorted() where !typed.contains(key) { lines.append("\(key): <redacted>") }
        if let caFile = gateway.caFile { lines.append("ca_file: \(quoted(caFile))") }
        if let callback = gateway.statusCallback { lines.append(url("status_callback", callback)) }
        lines.append("timeout_ms: \(gateway.timeoutMilliseconds)")
        lines.append("connect_timeout_ms: \(gateway.connectTimeoutMilliseconds)")
        lines.append("max_connections: \(gateway.maxConnections)")
        if let rate = gateway.rateLimit {
            lines.append("rate_limit: \(number(rate))   # requests per second")
            lines.append("rate_burst: \(number(gateway.rateBurst ?? rate))")
        } else {
            lines.append("rate_limit: none")
        }
        lines.append("breaker_failures: \(gateway.breakerFailures)")
        lines.append("breaker_cool_down: \(duration(gateway.breakerCoolDown))")
        if gateway.classification.isEmpty {
            lines.append("classify: []   # the default classes only")
        } else {
            lines.append("classify:   # first match wins, before the default classes")
            for rule in gateway.classification {
                var fields: [String] = []
                if let status = rule.status { fields.append("status: \(status)") }
                if let field = rule.jsonField { fields.append("json_field: \(quoted(field))") }
                if let equals = rule.equals { fields.append("equals: \(quoted(equals))") }
                fields.append("outcome: \(rule.outcome.rawValue)")
                lines.append("  - { \(fields.joined(separator: ", ")) }")
            }
        }
        if let receipts = gateway.receipts {
            lines.append("receipts:   # POST /v1/receipts/\(gateway.name)")
            if let format = receipts.format { lines.append("  format: \(format.rawValue)") }
            switch receipts.signature {
            case .hmacSHA256(_, let maxAge):
                lines += ["  signature: hmac-sha256", "  secret: <redacted>", "  max_age_seconds: \(number(maxAge))"]
            case .twilio(_, let publicURL):
                lines += ["  signature: twilio   # checked with the auth token: <redacted>", "  " + url("public_url", publicURL)]
            case .basic:
                lines += ["  signature: basic", "  username: <redacted>", "  password: <redacted>"]
            case .preset(let scheme, _, let maxAge):
                lines += ["  signature: \(scheme)", "  key: <redacted>", "  max_age_seconds: \(number(maxAge))"]
            case .none:
                lines.append("  signature: none   # nothing is verified: protect the URL")
            }
        } else {
            lines.append("receipts: none   # POST /v1/receipts/\(gateway.name) is refused")
        }
        return lines
    }

    /// `key: "url"`, redacted, with a note naming what was redacted.
    static func url(_ key: String, _ url: String) -> String {
        let redaction = URLRedaction.redact(url)
        return "\(key): \(quoted(redaction.text))" + (redaction.redacted.isEmpty ? "" : "   # redacted: \(redaction.redacted.joined(separator: ", "))")
    }

    static func duration(_ seconds: TimeInterval) -> String { DurationText.describe(seconds) }

    static func number(_ value: Double) -> String { value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value) }

    static func list(_ items: [String]) -> String { "[" + items.map(quoted).joined(separator: ", ") + "]" }

    static func map(_ values: [String: String]) -> String {
        values.isEmpty ? "{}" : "{ " + values.sorted { $0.key < $1.key }.map { "\(quoted($0.key)): \(quoted($0.value))" }.joined(separator: ", ") + " }"
    }

    /// A YAML scalar, double-quoted when it would otherwise be read differently (or not at all).
    static func quoted(_ text: String) -> String {
        let plain = !text.isEmpty && !["no", "yes", "on", "off", "true", "false", "null", "~"].contains(text.lowercased())
            && text.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || ("0"..."9").contains($0) || "._-/+@".unicodeScalars.contains($0) }
            && !(text.first.map { "-@".contains($0) } ?? false)
        if plain { return text }
        return "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}

/// A command failed for a reason the user can fix; the text says how.
public struct CommandError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
