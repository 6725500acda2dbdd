import Foundation
import VarselCore
import VarselGateways
import VarselStore

/// Reads, merges and checks the configuration. Every problem is reported at once, each naming its key.
public enum ConfigLoader {
    /// Whether secret files and variables are read. Commands that never send or verify (status,
    /// tokens, cancel, purge, a local enqueue) skip them, so an operator can run them as the service
    /// user, which cannot read the root-only credentials outside the service.
    public enum Secrets: Sendable {
        case read
        case skip
    }

    /// Loads `path` (or only the defaults when `nil`) with `environment` overrides.
    public static func load(
        path: String?, environment: [String: String] = ProcessInfo.processInfo.environment, secrets: Secrets = .read
    ) throws -> VarselConfig {
        var fileTree = ConfigTree.map([])
        var baseDirectory = FileManager.default.currentDirectoryPath
        if let path {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ConfigErrors(file: path, errors: [ConfigError("", "cannot read the file")])
            }
            do {
                fileTree = try ConfigTree.parse(yaml: String(decoding: data, as: UTF8.self))
            } catch {
                throw ConfigErrors(file: path, errors: [error])
            }
            baseDirectory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        }
        return try load(tree: fileTree, file: path ?? "(defaults)", baseDirectory: baseDirectory, environment: environment, secrets: secrets)
    }

    /// Loads a configuration given as YAML text (used by the demo and tests).
    public static func load(yaml: String, baseDirectory: String, environment: [String: String] = [:]) throws -> VarselConfig {
        let tree: ConfigTree
        do {
            tree = try ConfigTree.parse(yaml: yaml)
        } catch {
            throw ConfigErrors(file: "(inline)", errors: [error])
        }
        return try load(tree: tree, file: "(inline)", baseDirectory: baseDirectory, environment: environment)
    }

    static func load(
        tree fileTree: ConfigTree, file: String, baseDirectory: String, environment: [String: String], secrets: Secrets = .read
    ) throws -> VarselConfig {
        var reader = ConfigReader(baseDirectory: baseDirectory, environment: environment, readSecrets: secrets == .read)
        let defaults = try! ConfigTree.parse(yaml: DefaultConfig.yaml)
        reader.checkKeys(fileTree, "", allowed: defaults.keys)
        let merged: ConfigTree
        do {
            merged = try defaults.overlaid(with: fileTree).applyingEnvironment(environment).0
        } catch {
            throw ConfigErrors(file: file, errors: reader.errors + [error])
        }
        guard reader.errors.isEmpty else { throw ConfigErrors(file: file, errors: reader.errors) }
        let config = reader.read(merged, file: file)
        guard reader.errors.isEmpty, let config else { throw ConfigErrors(file: file, errors: reader.errors) }
        return config
    }
}

/// Typed reading of a `ConfigTree`, collecting errors with their key paths.
struct ConfigReader {
    let baseDirectory: String
    let environment: [String: String]
    var readSecrets = true
    /// What a secret is when secrets are not read: present, never used.
    static let unreadSecret = GatewayConfiguration.unreadSecret
    var errors: [ConfigError] = []

    mutating func fail(_ key: String, _ problem: String) { errors.append(ConfigError(key, problem)) }

    mutating func checkKeys(_ tree: ConfigTree?, _ path: String, allowed: [String]) {
        guard let tree else { return }
        guard case .map(let pairs) = tree else {
            if tree != .null { fail(path, "expected a mapping of keys") }
            return
        }
        for (key, _) in pairs where !allowed.contains(key) {
            fail(path.isEmpty ? key : "\(path).\(key)", "unknown key; expected one of: \(allowed.joined(separator: ", "))")
        }
    }

    mutating func string(_ tree: ConfigTree?, _ path: String) -> String? {
        switch tree {
        case nil, .null?: return nil
        case .scalar(let text)?: return text
        default:
            fail(path, "expected a single value")
            return nil
        }
    }

    mutating func requiredString(_ tree: ConfigTree?, _ path: String) -> String {
        guard let text = string(tree, path), !text.isEmpty else {
            if !errors.contains(where: { $0.key == path }) { fail(path, "required") }
            return ""
        }
        return text
    }

    mutating func int(_ tree: ConfigTree?, _ path: String, range: ClosedRange<Int>) -> Int {
        guard let text = string(tree, path), let value = Int(text), range.contains(value) else {
            fail(path, "expected a whole number from \(range.lowerBound) to \(range.upperBound)")
            return range.lowerBound
        }
        return value
    }

    mutating func double(_ tree: ConfigTree?, _ path: String, range: ClosedRange<Double>) -> Double {
        guard let text = string(tree, path), let value = Double(text), range.contains(value) else {
            fail(path, "expected a number from \(range.lowerBound) to \(range.upperBound)")
            return range.lowerBound
        }
        return value
    }

    /// A country's contact window: `weekdays`, `saturday`, `sunday`, `every_day` or `mon`…`sun` as
    /// `"HH:MM-HH:MM"` or `closed`, and `holidays: closed|open`.
    mutating func readWindowRule(_ node: ConfigTree?, path: String) -> ContactWindowRule? {
        let days = ["mon": [1], "tue": [2], "wed": [3], "thu": [4], "fri": [5], "sat": [6], "sun": [7], "saturday": [6], "sunday": [7], "weekdays": [1, 2, 3, 4, 5], "every_day": [1, 2, 3, 4, 5, 6, 7]]
        checkKeys(node, path, allowed: Array(days.keys).sorted() + ["holidays"])
        var open: [Int: ClosedOpenTimeRange] = [:]
        // Broad keys first, so `weekdays` can be refined by `fri`.
        for key in ["every_day", "weekdays", "saturday", "sunday", "mon", "tue", "wed", "thu", "fri", "sat", "sun"] {
            guard let text = string(node?[key], "\(path).\(key)") else { continue }
            if text == "closed" {
                for day in days[key]! { open[day] = nil }
                continue
            }
            guard let range = Self.timeRange(text) else {
                fail("\(path).\(key)", "expected closed or a time range such as 08:00-21:00")
                continue
            }
            for day in days[key]! { open[day] = range }
        }
        let holidays = string(node?["holidays"], "\(path).holidays") ?? "closed"
        guard holidays == "closed" || holidays == "open" else {
            fail("\(path).holidays", "use closed or open")
            return nil
        }
        return ContactWindowRule(open: open, closedOnHolidays: holidays == "closed")
    }

    static func timeRange(_ text: String) -> ClosedOpenTimeRange? {
        let parts = text.split(separator: "-").map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, let start = minutes(parts[0]), let end = minutes(parts[1]),
              let from = LocalTime(minutes: start), let to = LocalTime(minutes: end)
        else { return nil }
        return ClosedOpenTimeRange.validated(start: from, end: to)
    }

    static func minutes(_ text: String) -> Int? {
        let pieces = text.split(separator: ":")
        guard pieces.count == 2, let hour = Int(pieces[0]), let minute = Int(pieces[1]), (0...24).contains(hour), (0...59).contains(minute) else {
            return nil
        }
        return hour * 60 + minute
    }

    /// A duration such as `30s`, `15m`, `1h`, `72h`, `7d`.
    mutating func duration(_ tree: ConfigTree?, _ path: String) -> TimeInterval {
        guard let text = string(tree, path), let seconds = DurationText.seconds(text) else {
            fail(path, "expected a duration such as 30s, 15m, 1h or 72h")
            return 0
        }
        return seconds
    }

    mutating func bool(_ tree: ConfigTree?, _ path: String) -> Bool {
        switch string(tree, path)?.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default:
            fail(path, "expected true or false")
            return false
        }
    }

    mutating func stringList(_ tree: ConfigTree?, _ path: String) -> [String] {
        switch tree {
        case nil, .null?: return []
        case .list(let items)?:
            return items.enumerated().compactMap { index, item in string(item, "\(path)[\(index)]") }
        default:
            fail(path, "expected a list")
            return []
        }
    }

    mutating func channelList(_ tree: ConfigTree?, _ path: String) -> [Channel] {
        var channels: [Channel] = []
        for (index, name) in stringList(tree, path).enumerated() {
            guard let channel = Channel(rawValue: name) else {
                fail("\(path)[\(index)]", "unknown channel '\(name)'; use sms, email or letter")
                continue
            }
            if channels.contains(channel) { fail("\(path)[\(index)]", "\(name) is listed twice") } else { channels.append(channel) }
        }
        return channels
    }

    /// A path relative to the configuration file's directory.
    /// Where a secret file named in the configuration is: an absolute path as it is; a relative one in
    /// `$CREDENTIALS_DIRECTORY` under systemd, either as its own credential (`LoadCredential=NAME:…`) or
    /// from the unit's credentials directory (`LoadCredential=varsel:/etc/varsel/credentials` names it
    /// `varsel_NAME`); otherwise beside the configuration file.
    func credentialPath(_ file: String) -> String {
        guard !file.hasPrefix("/") else { return file }
        guard let credentials = environment["CREDENTIALS_DIRECTORY"] else { return resolvePath(file) }
        let directory = URL(fileURLWithPath: credentials)
        let own = directory.appendingPathComponent(file).path
        let fromDirectory = directory.appendingPathComponent("varsel_" + file).path
        return !FileManager.default.fileExists(atPath: own) && FileManager.default.fileExists(atPath: fromDirectory) ? fromDirectory : own
    }

    func resolvePath(_ path: String) -> String {
        path.hasPrefix("/") ? path : URL(fileURLWithPath: baseDirectory).appendingPathComponent(path).standardizedFileURL.path
    }

    mutating func read(_ tree: ConfigTree, file: String) -> VarselConfig? {
        checkKeys(tree["server"], "server", allowed: ["host", "port", "max_body_bytes", "max_batch_bytes", "max_batch_lines", "max_concurrent_batches", "tokens_file", "tokens_env"])
        let server = VarselConfig.Server(
            host: requiredString(tree["server"]?["host"], "server.host"),
            port: int(tree["server"]?["port"], "server.port", range: 0...65535),
            maxBodyBytes: int(tree["server"]?["max_body_bytes"], "server.max_body_bytes", range: 1024...(1 << 30)),
            maxBatchBytes: int(tree["server"]?["max_batch_bytes"], "server.max_batch_bytes", range: 1024...(1 << 32)),
            maxBatchLines: int(tree["server"]?["max_batch_lines"], "server.max_batch_lines", range: 1...1_000_000),
            maxConcurrentBatches: int(tree["server"]?["max_concurrent_batches"], "server.max_concurrent_batches", range: 1...64),
            staticTokens: readStaticTokens(tree["server"]))

        let store = readStore(tree["store"])

        checkKeys(tree["templates"], "templates", allowed: ["dir", "default_locale", "sms_max_parts"])
        let defaultLocale = requiredString(tree["templates"]?["default_locale"], "templates.default_locale")
        if !LocaleTag.isWellFormed(defaultLocale) { fail("templates.default_locale", "'\(defaultLocale)' is not a language tag such as en") }
        let templates = VarselConfig.Templates(
            directory: resolvePath(requiredString(tree["templates"]?["dir"], "templates.dir")),
            defaultLocale: LocaleTag.normalise(defaultLocale),
            smsMaxParts: int(tree["templates"]?["sms_max_parts"], "templates.sms_max_parts", range: 1...255))
        checkKeys(tree["plans"], "plans", allowed: ["dir", "timing", "learn_paid_within_days", "learn_lookback_days"])
        var plans = VarselConfig.Plans(directory: resolvePath(requiredString(tree["plans"]?["dir"], "plans.dir")))
        for country in tree["plans"]?["timing"]?.keys ?? [] {
            let path = "plans.timing.\(country)"
            let code = country.uppercased()
            guard code.count == 2, code.allSatisfy({ ("A"..."Z").contains($0) }) else {
                fail(path, "expected an ISO 3166-1 alpha-2 country code such as NO")
                continue
            }
            guard let timing = string(tree["plans"]?["timing"]?[country], path).flatMap(PlanTiming.init(rawValue:)) else {
                fail(path, "use fixed or learned")
                continue
            }
            plans.timingByCountry[code] = timing
        }
        plans.learnPaidWithinDays = int(tree["plans"]?["learn_paid_within_days"], "plans.learn_paid_within_days", range: 1...90)
        plans.learnLookbackDays = int(tree["plans"]?["learn_lookback_days"], "plans.learn_lookback_days", range: 7...3650)

        let dispatchTree = tree["dispatch"]
        checkKeys(dispatchTree, "dispatch", allowed: [
            "channel_order", "batch_size", "max_in_flight", "lease_seconds", "poll_interval_ms", "worker_id", "shutdown_grace_seconds",
        ])
        var workerID = string(dispatchTree?["worker_id"], "dispatch.worker_id") ?? ""
        if workerID.isEmpty { workerID = ProcessInfo.processInfo.hostName }
        let channelOrder = channelList(dispatchTree?["channel_order"], "dispatch.channel_order")
        if channelOrder.isEmpty { fail("dispatch.channel_order", "must name at least one channel") }
        let dispatch = VarselConfig.Dispatch(
            channelOrder: channelOrder,
            batchSize: int(dispatchTree?["batch_size"], "dispatch.batch_size", range: 1...10_000),
            maxInFlight: int(dispatchTree?["max_in_flight"], "dispatch.max_in_flight", range: 1...10_000),
            leaseSeconds: double(dispatchTree?["lease_seconds"], "dispatch.lease_seconds", range: 5...86_400),
            pollIntervalMilliseconds: int(dispatchTree?["poll_interval_ms"], "dispatch.poll_interval_ms", range: 10...600_000),
            workerID: workerID,
            shutdownGraceSeconds: double(dispatchTree?["shutdown_grace_seconds"], "dispatch.shutdown_grace_seconds", range: 0...3600))

        let gateways = readGateways(tree["gateways"])
        var channels: [Channel: [String]] = [:]
        for key in tree["channels"]?.keys ?? [] {
            let path = "channels.\(key)"
            guard let channel = Channel(rawValue: key) else {
                fail(path, "unknown channel; use sms, email or letter")
                continue
            }
            checkKeys(tree["channels"]?[key], path, allowed: ["gateways"])
            let names = stringList(tree["channels"]?[key]?["gateways"], "\(path).gateways")
            if names.isEmpty { fail("\(path).gateways", "must name at least one gateway") }
            for (index, name) in names.enumerated() {
                guard let gateway = gateways[name] else {
                    fail("\(path).gateways[\(index)]", "no gateway named '\(name)' under gateways")
                    continue
                }
                let preset = gateway.kind.preset
                if !preset.channels.contains(channel) {
                    let sends = Channel.allCases.filter(preset.channels.contains).map(\.rawValue).joined(separator: " and ")
                    fail("\(path).gateways[\(index)]", "gateway '\(name)' is a \(preset.type) gateway and sends \(sends) only, not \(channel.rawValue)")
                }
            }
            channels[channel] = names
        }

        if channels.isEmpty {
            fail("channels", "no channel has a gateway: configure at least one, e.g. channels.sms.gateways: [sms-main]")
        }
        for gateway in gateways.values where Double(gateway.timeoutMilliseconds) >= dispatch.leaseSeconds * 1000 {
            fail("dispatch.lease_seconds", "must be longer than gateways.\(gateway.name).timeout_ms (\(gateway.timeoutMilliseconds) ms), or a send still running could lose its lease")
        }
        var planning = readPlanning(tree, channelOrder: channelOrder, defaultLocale: templates.defaultLocale)
        planning.availableChannels = Set(channels.keys)
        planning.collectionRules = readCollectionRules(tree["collection_rules"])
        planning.experiments = readExperiments(tree["experiments"], kinds: planning.kinds)
        checkKeys(tree["retry"], "retry", allowed: ["min_backoff", "max_backoff", "max_attempts", "max_lifetime"])
        let retry = RetryPolicy(
            minBackoff: duration(tree["retry"]?["min_backoff"], "retry.min_backoff"),
            maxBackoff: duration(tree["retry"]?["max_backoff"], "retry.max_backoff"),
            maxAttempts: int(tree["retry"]?["max_attempts"], "retry.max_attempts", range: 1...1000),
            maxLifetime: duration(tree["retry"]?["max_lifetime"], "retry.max_lifetime"))
        if retry.maxBackoff < retry.minBackoff { fail("retry.max_backoff", "must not be shorter than retry.min_backoff") }
        checkKeys(tree["fallback"], "fallback", allowed: ["on_permanent_failure", "on_failed_receipt", "receipt_timeout"])
        var fallback = VarselConfig.Fallback(
            onPermanentFailure: bool(tree["fallback"]?["on_permanent_failure"], "fallback.on_permanent_failure"),
            onFailedReceipt: bool(tree["fallback"]?["on_failed_receipt"], "fallback.on_failed_receipt"))
        fallback.receiptTimeout = duration(tree["fallback"]?["receipt_timeout"], "fallback.receipt_timeout")
        checkKeys(tree["retention"], "retention", allowed: ["enabled", "personal_data_days", "record_days", "sweep_interval"])
        let retention = VarselConfig.Retention(
            enabled: bool(tree["retention"]?["enabled"], "retention.enabled"),
            personalDataDays: int(tree["retention"]?["personal_data_days"], "retention.personal_data_days", range: 1...36_500),
            recordDays: int(tree["retention"]?["record_days"], "retention.record_days", range: 1...36_500),
            sweepInterval: duration(tree["retention"]?["sweep_interval"], "retention.sweep_interval"))
        if retention.recordDays < retention.personalDataDays {
            fail("retention.record_days", "must be at least retention.personal_data_days (\(retention.personalDataDays)): records outlive their personal data, never the other way round")
        }
        if retention.sweepInterval < 60 { fail("retention.sweep_interval", "at least 1m") }
        checkKeys(tree["policy"], "policy", allowed: ["frequency_cap", "contact_windows"])
        let windowsTree = tree["policy"]?["contact_windows"]
        checkKeys(windowsTree, "policy.contact_windows", allowed: ["enabled", "spread", "countries"])
        var windowRules: [String: ContactWindowRule] = [:]
        for country in windowsTree?["countries"]?.keys ?? [] {
            if let rule = readWindowRule(windowsTree?["countries"]?[country], path: "policy.contact_windows.countries.\(country)") {
                windowRules[country.uppercased()] = rule
            }
        }
        let contactWindows = ContactWindows(enabled: bool(windowsTree?["enabled"], "policy.contact_windows.enabled"), rules: windowRules)
        let windowSpread = duration(windowsTree?["spread"], "policy.contact_windows.spread")
        let capTree = tree["policy"]?["frequency_cap"]
        checkKeys(capTree, "policy.frequency_cap", allowed: ["enabled", "max_messages", "window", "per_kind"])
        var perKind: [String: Int] = [:]
        for kind in capTree?["per_kind"]?.keys ?? [] {
            perKind[kind] = int(capTree?["per_kind"]?[kind], "policy.frequency_cap.per_kind.\(kind)", range: 1...10_000)
        }
        let frequencyCap = FrequencyCap(
            enabled: bool(capTree?["enabled"], "policy.frequency_cap.enabled"),
            maxMessages: int(capTree?["max_messages"], "policy.frequency_cap.max_messages", range: 1...10_000),
            window: duration(capTree?["window"], "policy.frequency_cap.window"), perKind: perKind)
        return VarselConfig(
            file: file, server: server, store: store, templates: templates, plans: plans, dispatch: dispatch, channels: channels,
            gateways: gateways, planning: planning, retry: retry, fallback: fallback, retention: retention, frequencyCap: frequencyCap,
            contactWindows: contactWindows, windowSpread: windowSpread)
    }

    /// `server.tokens_file` / `server.tokens_env`: lines of `<scopes> <token>`.
    mutating func readStaticTokens(_ server: ConfigTree?) -> [(scopes: [String], token: String)] {
        guard readSecrets else { return [] }
        var text = ""
        if let file = string(server?["tokens_file"], "server.tokens_file"), !file.isEmpty {
            let resolved = credentialPath(file)
            guard let data = FileManager.default.contents(atPath: resolved) else {
                fail("server.tokens_file", "cannot read \(resolved)")
                return []
            }
            text += String(decoding: data, as: UTF8.self) + "\n"
        }
        if let variable = string(server?["tokens_env"], "server.tokens_env"), !variable.isEmpty {
            guard let value = environment[variable] else {
                fail("server.tokens_env", "environment variable \(variable) is not set")
                return []
            }
            text += value.replacingOccurrences(of: ";", with: "\n")
        }
        var tokens: [(scopes: [String], token: String)] = []
        for (index, line) in text.split(separator: "\n").enumerated() where !String(line).trimmed.isEmpty && !String(line).trimmed.hasPrefix("#") {
            let parts = line.split(whereSeparator: \.isWhitespace)
            let scopes = parts.first.map { $0.split(separator: ",").map(String.init) } ?? []
            guard parts.count == 2, !scopes.isEmpty, scopes.allSatisfy({ ["enqueue", "read", "cancel", "admin"].contains($0) }), parts[1].count >= 16 else {
                fail("server.tokens_file", "line \(index + 1): expected '<scopes> <token>' with scopes from enqueue, read, cancel, admin and a token of at least 16 characters")
                continue
            }
            tokens.append((scopes, String(parts[1])))
        }
        return tokens
    }

    mutating func legalStep(_ node: ConfigTree?, _ path: String) -> LegalStep? {
        guard let text = string(node, path) else { return nil }
        guard let step = LegalStep(rawValue: text) else {
            fail(path, "use reminder, collection_notice or none")
            return nil
        }
        return step
    }

    mutating func readPlanning(_ tree: ConfigTree, channelOrder: [Channel], defaultLocale: String) -> PlanningPolicy {
        var kinds: [String: KindRule] = [:]
        for name in tree["kinds"]?.keys ?? [] {
            let path = "kinds.\(name)"
            let node = tree["kinds"]?[name]
            checkKeys(node, path, allowed: ["channels", "channel_rule", "required_data", "minimum_deadline_days", "demands_payment", "legal_step"])
            var minimumDays: [String: Int] = [:]
            for country in node?["minimum_deadline_days"]?.keys ?? [] {
                minimumDays[country.uppercased()] = int(node?["minimum_deadline_days"]?[country], "\(path).minimum_deadline_days.\(country)", range: 0...365)
            }
            if !MessageValidator.isTemplateName(name) { fail(path, "kind names are letters, digits and _") }
            let allowed = node?["channels"] == nil ? nil : Set(channelList(node?["channels"], "\(path).channels"))
            kinds[name] = KindRule(
                name: name, allowedChannels: allowed, channelRuleReason: string(node?["channel_rule"], "\(path).channel_rule"),
                requiredData: stringList(node?["required_data"], "\(path).required_data"), minimumDeadlineDays: minimumDays,
                // A receipt or a plan confirmation does not ask for payment unless configured to.
                demandsPayment: node?["demands_payment"] == nil
                    ? KindRule.shipped[name]?.demandsPayment ?? true : bool(node?["demands_payment"], "\(path).demands_payment"),
                legalStep: legalStep(node?["legal_step"], "\(path).legal_step") ?? KindRule.shipped[name]?.legalStep ?? LegalStep.none)
        }
        checkKeys(tree["tone"], "tone", allowed: ["default", "by_country"])
        let defaultToneName = requiredString(tree["tone"]?["default"], "tone.default")
        let defaultTone = Tone(rawValue: defaultToneName)
        if defaultTone == nil { fail("tone.default", "use direct or indirect") }
        var toneByCountry: [String: Tone] = [:]
        for country in tree["tone"]?["by_country"]?.keys ?? [] {
            let path = "tone.by_country.\(country)"
            guard let tone = string(tree["tone"]?["by_country"]?[country], path).flatMap(Tone.init(rawValue:)) else {
                fail(path, "use direct or indirect")
                continue
            }
            toneByCountry[country.uppercased()] = tone
        }
        checkKeys(tree["locales"], "locales", allowed: ["aliases", "by_country"])
        var aliases: [String: String] = [:]
        for language in tree["locales"]?["aliases"]?.keys ?? [] {
            aliases[language.lowercased()] = string(tree["locales"]?["aliases"]?[language], "locales.aliases.\(language)").map(LocaleTag.normalise)
        }
        var localeByCountry: [String: String] = [:]
        for country in tree["locales"]?["by_country"]?.keys ?? [] {
            localeByCountry[country.uppercased()] = string(tree["locales"]?["by_country"]?[country], "locales.by_country.\(country)")
        }
        return PlanningPolicy(
            channelOrder: channelOrder, kinds: kinds, toneByCountry: toneByCountry, defaultTone: defaultTone ?? .direct,
            defaultLocale: defaultLocale, localeAliases: aliases, localeByCountry: localeByCountry)
    }
}
