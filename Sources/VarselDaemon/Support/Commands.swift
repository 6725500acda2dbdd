import Foundation
import VarselCore
import VarselGateways
import VarselStore
import VarselTemplates

/// Opens the store a configuration names (for commands that only read or enqueue).
public func openStore(_ config: VarselConfig) throws -> SQLiteMessageStore {
    try SQLiteMessageStore(path: config.store.path, synchronous: config.store.synchronous)
}

/// What the CLI's one-shot commands do, so the executable stays argument parsing only.
public enum CommandActions {
    /// `varsel enqueue`: validates and stores, one result per input line.
    public static func enqueue(_ data: Data, config: VarselConfig) async throws -> [EnqueueBatch.LineResult] {
        let store = try openStore(config)
        // Data is held to the kinds' schemas. Only the schemas are needed, so the set is parsed, not
        // checked and rendered; a set that does not parse leaves that to the daemon's last good set.
        let templates = try? TemplateSet(directory: config.templates.directory, files: TemplateSetLoader.readFiles(config.templates.directory))
        var dataCheck: MessageValidator.DataCheck?
        if let templates { dataCheck = { kind, data in templates.dataProblems(kind: kind, data: data) } }
        let validator = MessageValidator(kinds: config.planning.kinds, dataCheck: dataCheck)
        return try await EnqueueBatch.run(data, validator: validator, store: store)
    }

    /// `varsel purge`: one retention sweep on the local store, or with `dryRun` what it would delete.
    public static func purge(dryRun: Bool, config: VarselConfig) async throws -> String {
        let outcome = try await RetentionSweep.run(store: try openStore(config), retention: config.retention, dryRun: dryRun, now: Date())
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
        let store = try openStore(config)
        guard let status = try await store.status(id: id) else { return nil }
        return json ? try StatusText.json(status) : StatusText.human(status)
    }

    /// `varsel token create`: a new token, printed once; only its hash is stored.
    public static func createToken(scopes: [String], label: String?, config: VarselConfig) async throws -> (token: String, id: String) {
        let valid = Set(Scope.allCases.map(\.rawValue))
        guard !scopes.isEmpty, scopes.allSatisfy(valid.contains) else {
            throw CommandError("--scopes: use a comma-separated list of \(Scope.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let token = TokenFormat.generate()
        let stored = try await openStore(config).createToken(hash: TokenFormat.hash(token), scopes: scopes, label: label, now: Date())
        return (token, stored.id)
    }

    /// `varsel token list`: ids, scopes, labels and dates; never the tokens.
    public static func listTokens(config: VarselConfig) async throws -> [String] {
        try await openStore(config).tokens().map { token in
            "\(token.id)  \(token.scopes.joined(separator: ","))  created \(RFC3339.format(token.createdAt))"
                + (token.revokedAt.map { "  revoked \(RFC3339.format($0))" } ?? "") + (token.label.map { "  \($0)" } ?? "")
        }
    }

    /// `varsel token revoke ID`.
    public static func revokeToken(id: String, config: VarselConfig) async throws {
        guard try await openStore(config).revokeToken(id: id, now: Date()) else { throw CommandError("no token with id \(id)") }
    }

    /// `varsel cancel`: on the local store; prints what was cancelled and what had already gone.
    public static func cancel(ids: [String]?, caseRef: String?, reason: String, config: VarselConfig) async throws -> String {
        let outcome = try await openStore(config).cancel(ids: ids, caseRef: caseRef, reason: reason, now: Date())
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
}

/// `varsel config check`: the effective configuration with secrets redacted.
public enum EffectiveConfig {
    public static func describe(_ config: VarselConfig) -> String {
        var lines: [String] = ["# effective configuration from \(config.file ?? "(defaults)"); secrets redacted"]
        lines.append("server: { host: \(config.server.host), port: \(config.server.port) }")
        lines.append("store: { backend: \(config.store.backend), path: \(config.store.path), synchronous: \(config.store.synchronous.rawValue.lowercased()) }")
        lines.append("templates: { dir: \(config.templates.directory), default_locale: \(config.templates.defaultLocale), sms_max_parts: \(config.templates.smsMaxParts) }")
        let retention = config.retention
        lines.append("retention: { enabled: \(retention.enabled), personal_data_days: \(retention.personalDataDays), record_days: \(retention.recordDays), sweep_interval: \(DurationText.describe(retention.sweepInterval)) }")
        let dispatch = config.dispatch
        lines.append("dispatch: { channel_order: [\(dispatch.channelOrder.map(\.rawValue).joined(separator: ", "))], batch_size: \(dispatch.batchSize), max_in_flight: \(dispatch.maxInFlight), lease_seconds: \(dispatch.leaseSeconds), poll_interval_ms: \(dispatch.pollIntervalMilliseconds), worker_id: \(dispatch.workerID), shutdown_grace_seconds: \(dispatch.shutdownGraceSeconds) }")
        lines.append("channels:")
        for (channel, gateways) in config.channels.sorted(by: { $0.key < $1.key }) {
            lines.append("  \(channel.rawValue): { gateways: [\(gateways.joined(separator: ", "))] }")
        }
        lines.append("gateways:")
        for (name, gateway) in config.gateways.sorted(by: { $0.key < $1.key }) {
            var fields = ["type: \(gateway.kind.rawValue)", "url: \(gateway.url)"]
            if let from = gateway.from { fields.append("from: \(from)") }
            fields.append("id_field: \(gateway.idField)")
            if gateway.bearerToken != nil { fields.append("token: <redacted>") }
            if let sid = gateway.accountSID { fields.append("account_sid: \(sid)") }
            if gateway.authToken != nil { fields.append("auth_token: <redacted>") }
            fields.append("timeout_ms: \(gateway.timeoutMilliseconds)")
            fields.append("connect_timeout_ms: \(gateway.connectTimeoutMilliseconds)")
            fields.append("max_connections: \(gateway.maxConnections)")
            lines.append("  \(name): { \(fields.joined(separator: ", ")) }")
        }
        lines.append("kinds:")
        for (name, kind) in config.planning.kinds.sorted(by: { $0.key < $1.key }) {
            let channels = kind.allowedChannels.map { "[\($0.sorted().map(\.rawValue).joined(separator: ", "))]" } ?? "any"
            lines.append("  \(name): { channels: \(channels), required_data: [\(kind.requiredData.joined(separator: ", "))] }")
        }
        return lines.joined(separator: "\n")
    }
}

/// A command failed for a reason the user can fix; the text says how.
public struct CommandError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
