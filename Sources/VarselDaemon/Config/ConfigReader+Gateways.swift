import Foundation
import VarselCore
import VarselGateways

/// `gateways.<name>`: the common keys, the preset's own keys and secrets (docs/providers.md), and
/// `receipts`.
extension ConfigReader {
    /// Keys every gateway takes.
    static let commonGatewayKeys = [
        "type", "url", "from", "timeout_ms", "connect_timeout_ms", "max_connections", "receipts", "classify", "rate_limit",
        "rate_burst", "breaker_failures", "breaker_cool_down", "ca_file",
    ]

    mutating func readGateways(_ tree: ConfigTree?) -> [String: GatewayConfiguration] {
        var gateways: [String: GatewayConfiguration] = [:]
        for name in tree?.keys ?? [] {
            let path = "gateways.\(name)"
            let node = tree?[name]
            let typeName = requiredString(node?["type"], "\(path).type")
            let kind = GatewayConfiguration.Kind(rawValue: typeName)
            if kind == nil, !typeName.isEmpty {
                fail("\(path).type", "unknown gateway type '\(typeName)'; use \(GatewayConfiguration.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let preset = (kind ?? .httpJSON).preset
            let secretNames = preset.secrets.map(\.name)
            for key in node?.keys ?? [] where secretNames.contains(key) || Self.bareSecretKeys.contains(key) {
                fail("\(path).\(key)", "secrets are never read from the YAML file; use \(key)_file (e.g. with systemd LoadCredential=) or \(key)_env")
            }
            if kind != nil {
                let allowed = Self.commonGatewayKeys + preset.options.map(\.name) + secretNames.flatMap { ["\($0)_file", "\($0)_env"] }
                checkKeys(node, path, allowed: allowed + secretNames + Self.bareSecretKeys)
            }
            let url = readGatewayURL(node?["url"], path: "\(path).url", preset: preset)
            var gateway = GatewayConfiguration(
                name: name, kind: kind ?? .httpJSON, url: url, from: string(node?["from"], "\(path).from"),
                connectTimeoutMilliseconds: node?["connect_timeout_ms"] == nil ? 5_000 : int(node?["connect_timeout_ms"], "\(path).connect_timeout_ms", range: 100...120_000),
                timeoutMilliseconds: node?["timeout_ms"] == nil ? 30_000 : int(node?["timeout_ms"], "\(path).timeout_ms", range: 100...600_000),
                maxConnections: node?["max_connections"] == nil
                    ? preset.defaultMaxConnections ?? 64 : int(node?["max_connections"], "\(path).max_connections", range: 1...1_000))
            for key in preset.options {
                if let value = string(node?[key.name], "\(path).\(key.name)") {
                    gateway.options[key.name] = value
                } else if key.required {
                    fail("\(path).\(key.name)", "required for a \(preset.type) gateway: \(key.summary)")
                }
            }
            for key in preset.secrets {
                if let value = secret(node, path: path, key: key.name) {
                    gateway.secrets[key.name] = value
                } else if key.required, !errors.contains(where: { $0.key.hasPrefix("\(path).\(key.name)") }) {
                    fail("\(path).\(key.name)_file", "a \(preset.type) gateway needs \(key.name)_file or \(key.name)_env: \(key.summary)")
                }
            }
            if let caFile = string(node?["ca_file"], "\(path).ca_file") {
                let resolved = caFile.hasPrefix("/") ? caFile : URL(fileURLWithPath: baseDirectory).appendingPathComponent(caFile).path
                if !FileManager.default.isReadableFile(atPath: resolved) { fail("\(path).ca_file", "cannot read \(resolved)") }
                gateway.caFile = resolved
            }
            // The typed fields of the first two presets.
            gateway.idField = gateway.options["id_field"] ?? "id"
            gateway.bearerToken = kind == .httpJSON ? gateway.secrets["token"] : nil
            gateway.accountSID = gateway.options["account_sid"]
            gateway.authToken = gateway.secrets["auth_token"]
            gateway.messagingServiceSID = gateway.options["messaging_service_sid"]
            gateway.statusCallback = gateway.options["status_callback"]
            if kind == .twilio, gateway.from == nil, gateway.messagingServiceSID == nil {
                fail("\(path).from", "a Twilio gateway needs from or messaging_service_sid")
            }
            if preset.channels == [.email], kind != .httpJSON, gateway.from == nil {
                fail("\(path).from", "required for a \(preset.type) gateway: the sender address, e.g. \"Fjordkraft <krav@fjordkraft.example>\"")
            }
            if let problem = gateway.makeAdapter().configurationProblem {
                fail(path, problem)
            }
            gateway.classification = readClassification(node?["classify"], path: "\(path).classify")
            if node?["rate_limit"] != nil { gateway.rateLimit = double(node?["rate_limit"], "\(path).rate_limit", range: 0.001...100_000) }
            if node?["rate_burst"] != nil { gateway.rateBurst = double(node?["rate_burst"], "\(path).rate_burst", range: 1...100_000) }
            if node?["breaker_failures"] != nil { gateway.breakerFailures = int(node?["breaker_failures"], "\(path).breaker_failures", range: 1...10_000) }
            if node?["breaker_cool_down"] != nil { gateway.breakerCoolDown = duration(node?["breaker_cool_down"], "\(path).breaker_cool_down") }
            if node?["receipts"] != nil {
                gateway.receipts = readReceipts(node?["receipts"], path: "\(path).receipts", gateway: gateway)
            }
            gateways[name] = gateway
        }
        return gateways
    }

    /// Secret-looking keys refused when written in the YAML itself, whatever the preset.
    static let bareSecretKeys = ["token", "auth_token", "password", "api_key", "secret", "api_secret", "username"]

    /// `url`: the preset's default when absent; one of its schemes when given.
    mutating func readGatewayURL(_ node: ConfigTree?, path: String, preset: Preset) -> String {
        guard node != nil || preset.defaultURL == nil else { return preset.defaultURL ?? "" }
        let url = requiredString(node, path)
        guard !url.isEmpty else { return url }
        let parsed = URL(string: url)
        if parsed?.host == nil || !preset.urlSchemes.contains(parsed?.scheme?.lowercased() ?? "") {
            fail(path, "expected \(preset.urlSchemes.map { "a \($0)://" }.joined(separator: " or ")) URL")
        }
        return url
    }

    /// `gateways.<name>.classify`: a list of `{status, json_field, equals, outcome}`, first match wins.
    mutating func readClassification(_ node: ConfigTree?, path: String) -> [ClassificationRule] {
        guard let node else { return [] }
        guard case .list(let items) = node else {
            if node != .null { fail(path, "expected a list of rules such as { status: 400, outcome: transient }") }
            return []
        }
        var rules: [ClassificationRule] = []
        for (index, item) in items.enumerated() {
            let itemPath = "\(path)[\(index)]"
            checkKeys(item, itemPath, allowed: ["status", "json_field", "equals", "outcome"])
            let status = item["status"] == nil ? nil : int(item["status"], "\(itemPath).status", range: 100...599)
            let field = string(item["json_field"], "\(itemPath).json_field")
            let equals = string(item["equals"], "\(itemPath).equals")
            guard let outcome = string(item["outcome"], "\(itemPath).outcome").flatMap(OutcomeClass.init(rawValue:)) else {
                fail("\(itemPath).outcome", "use accepted, transient, permanent or ambiguous")
                continue
            }
            if status == nil, field == nil { fail(itemPath, "a rule needs status, json_field or both") }
            rules.append(ClassificationRule(status: status, jsonField: field, equals: equals, outcome: outcome))
        }
        return rules
    }

    /// `gateways.<name>.receipts`: `signature` (the preset's own scheme, `basic` or `none`), its key
    /// (`secret_file`/`secret_env`, or `public_key`/`public_key_file`), `username_file`/`password_file`
    /// for `basic`, `public_url` for Twilio, `max_age_seconds`, and `format` for http-json.
    mutating func readReceipts(_ node: ConfigTree?, path: String, gateway: GatewayConfiguration) -> GatewayConfiguration.ReceiptSettings? {
        checkKeys(node, path, allowed: [
            "format", "signature", "secret_file", "secret_env", "public_key", "public_key_file", "username_file", "username_env",
            "password_file", "password_env", "public_url", "max_age_seconds", "secret", "password",
        ])
        for key in ["secret", "password"] where node?[key] != nil {
            fail("\(path).\(key)", "secrets are never read from the YAML file; use \(key)_file or \(key)_env")
        }
        let preset = gateway.kind.preset
        var format: ReceiptFormat?
        if gateway.kind == .httpJSON || gateway.kind == .twilio {
            let formatName = string(node?["format"], "\(path).format") ?? (gateway.kind == .twilio ? "twilio" : "generic")
            format = ReceiptFormat(rawValue: formatName)
            if format == nil { fail("\(path).format", "use generic or twilio") }
        } else if node?["format"] != nil {
            fail("\(path).format", "a \(preset.type) gateway reads its provider's own callbacks; format is for http-json and twilio")
        }
        let schemes = preset.receiptSchemes + ["basic", "none"]
        guard let scheme = string(node?["signature"], "\(path).signature") ?? preset.receiptSchemes.first else {
            fail("\(path).signature", "\(preset.type) callbacks carry no signature of their own: use basic (a user and password in the callback URL you give the provider) or none (protect the URL otherwise)")
            return nil
        }
        guard schemes.contains(scheme) else {
            fail("\(path).signature", "use \(schemes.joined(separator: ", "))")
            return nil
        }
        let maxAge = node?["max_age_seconds"] == nil ? 300 : double(node?["max_age_seconds"], "\(path).max_age_seconds", range: 1...86_400)
        let signature: ReceiptSignature
        switch scheme {
        case "none":
            signature = .none
        case "basic":
            guard let user = secret(node, path: path, key: "username"), let password = secret(node, path: path, key: "password") else {
                if !errors.contains(where: { $0.key.hasPrefix("\(path).") }) {
                    fail("\(path).username_file", "basic needs username_file (or username_env) and password_file (or password_env)")
                }
                return nil
            }
            signature = .basic(user: user, password: password)
        case "twilio":
            guard let token = gateway.authToken ?? secret(node, path: path, key: "secret") else {
                fail("\(path).signature", "a twilio signature needs the gateway's auth token (auth_token_file or auth_token_env) or secret_file")
                return nil
            }
            guard let url = string(node?["public_url"], "\(path).public_url"), URL(string: url)?.host != nil else {
                fail("\(path).public_url", "required for twilio signatures: the exact URL Twilio posts to, e.g. https://varsel.example/v1/receipts/\(gateway.name)")
                return nil
            }
            signature = .twilio(authToken: Array(token.utf8), publicURL: url)
        default:
            var key = string(node?["public_key"], "\(path).public_key")
            if key == nil, let file = string(node?["public_key_file"], "\(path).public_key_file") {
                let resolved = credentialPath(file)
                if let data = FileManager.default.contents(atPath: resolved) {
                    key = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                } else {
                    fail("\(path).public_key_file", "cannot read \(resolved)")
                    return nil
                }
            }
            if key == nil { key = secret(node, path: path, key: "secret") }
            guard let key else {
                if !errors.contains(where: { $0.key.hasPrefix("\(path).") }) {
                    fail("\(path).secret_file", "a \(scheme) signature needs its key: secret_file or secret_env (public_key for a public key)")
                }
                return nil
            }
            signature = scheme == "hmac-sha256"
                ? .hmacSHA256(secret: Array(key.utf8), maxAge: maxAge) : .preset(scheme: scheme, key: Array(key.utf8), maxAge: maxAge)
        }
        let settings = GatewayConfiguration.ReceiptSettings(format: format, signature: signature)
        var probe = gateway
        probe.receipts = settings
        if let problem = probe.makeAdapter().configurationProblem { fail(path, problem) }
        return settings
    }

    /// A secret from `<key>_file` (relative paths resolve in `$CREDENTIALS_DIRECTORY` when set) or
    /// `<key>_env`. Never logged.
    mutating func secret(_ node: ConfigTree?, path: String, key: String) -> String? {
        if !readSecrets {
            let given = string(node?["\(key)_file"], "\(path).\(key)_file") ?? string(node?["\(key)_env"], "\(path).\(key)_env")
            return given.map { _ in Self.unreadSecret }
        }
        if let file = string(node?["\(key)_file"], "\(path).\(key)_file") {
            let resolved = credentialPath(file)
            guard let data = FileManager.default.contents(atPath: resolved) else {
                fail("\(path).\(key)_file", "cannot read \(resolved)")
                return nil
            }
            let value = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if value.isEmpty { fail("\(path).\(key)_file", "\(resolved) is empty") }
            return value
        }
        if let variable = string(node?["\(key)_env"], "\(path).\(key)_env") {
            guard let value = environment[variable], !value.isEmpty else {
                fail("\(path).\(key)_env", "environment variable \(variable) is not set")
                return nil
            }
            return value
        }
        return nil
    }
}
