import Foundation
import VarselCore

/// One configured gateway (`gateways.<name>`), with its secrets already read from files or the
/// environment. `description` never shows secrets.
public struct GatewayConfiguration: Sendable, CustomStringConvertible {
    /// What a secret holds when the configuration was loaded without reading secrets (commands that
    /// never send): present, never used.
    public static let unreadSecret = "<not read>"

    /// The presets (docs/providers.md). Adding one: a case here and its adapter file in `Presets/`.
    public enum Kind: String, Sendable, CaseIterable {
        /// The generic JSON shape of docs/gateway.md.
        case httpJSON = "http-json"
        /// Twilio's form-encoded Messages API (SMS only).
        case twilio
        /// SMTP through libcurl (`smtp://`, `smtps://`).
        case smtp
        case sendgrid
        case postmark
        case mailgun
        case linkmobility
        case gatewayapi
        case fortySixElks = "46elks"
        case sveve
        case vonage

        public var adapterType: any GatewayAdapter.Type {
            switch self {
            case .httpJSON: HTTPJSONAdapter.self
            case .twilio: TwilioAdapter.self
            case .smtp: SMTPAdapter.self
            case .sendgrid: SendGridAdapter.self
            case .postmark: PostmarkAdapter.self
            case .mailgun: MailgunAdapter.self
            case .linkmobility: LinkMobilityAdapter.self
            case .gatewayapi: GatewayAPIAdapter.self
            case .fortySixElks: FortySixElksAdapter.self
            case .sveve: SveveAdapter.self
            case .vonage: VonageAdapter.self
            }
        }

        public var preset: Preset { adapterType.preset }
    }

    public var name: String
    public var kind: Kind
    public var url: String
    /// Sender: an alphanumeric id or number for SMS, an address for email.
    public var from: String?
    /// Where the provider id is in a JSON reply (`id`, or a dotted path such as `data.id`).
    public var idField: String
    /// `Authorization: Bearer` token for http-json gateways.
    public var bearerToken: String?
    /// Twilio account SID (also the Basic auth user) and auth token.
    public var accountSID: String?
    public var authToken: String?
    /// Twilio Messaging Service to send from instead of `from`.
    public var messagingServiceSID: String?
    /// Twilio StatusCallback URL.
    public var statusCallback: String?
    /// The preset's own plain keys (`Preset.options`), by name.
    public var options: [String: String] = [:]
    /// The preset's secrets (`Preset.secrets`), by name without `_file`/`_env`. Never shown.
    public var secrets: [String: String] = [:]
    /// A PEM file of certificate authorities to trust for this gateway instead of the system's (`ca_file`).
    public var caFile: String?
    public var connectTimeoutMilliseconds: Int
    public var timeoutMilliseconds: Int
    /// Transfers of this gateway handed to libcurl at once.
    public var maxConnections: Int
    /// How delivery callbacks to `POST /v1/receipts/<name>` are read and verified; `nil` refuses them.
    public var receipts: ReceiptSettings?
    /// Rules that reclassify this gateway's answers (`classify`), before the defaults.
    public var classification: [ClassificationRule] = []
    /// Requests per second at most (`rate_limit`), with bursts of `rate_burst`; nil for no limit.
    public var rateLimit: Double?
    public var rateBurst: Double?
    /// The circuit opens after this many consecutive transient failures (`breaker_failures`)…
    public var breakerFailures: Int = 5
    /// …and lets a probe through after this long (`breaker_cool_down`).
    public var breakerCoolDown: TimeInterval = 30

    public init(
        name: String, kind: Kind, url: String, from: String? = nil, idField: String = "id", bearerToken: String? = nil,
        accountSID: String? = nil, authToken: String? = nil, messagingServiceSID: String? = nil, statusCallback: String? = nil,
        connectTimeoutMilliseconds: Int = 5_000, timeoutMilliseconds: Int = 30_000, maxConnections: Int = 64
    ) {
        self.name = name
        self.kind = kind
        self.url = url
        self.from = from
        self.idField = idField
        self.bearerToken = bearerToken
        self.accountSID = accountSID
        self.authToken = authToken
        self.messagingServiceSID = messagingServiceSID
        self.statusCallback = statusCallback
        self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
        self.timeoutMilliseconds = timeoutMilliseconds
        self.maxConnections = maxConnections
    }

    /// Delivery-callback settings of a gateway (`gateways.<name>.receipts`).
    public struct ReceiptSettings: Sendable {
        /// The body format, for the generic gateways (`http-json`, `twilio`); presets read their own.
        public var format: ReceiptFormat?
        public var signature: ReceiptSignature

        public init(format: ReceiptFormat?, signature: ReceiptSignature) {
            self.format = format
            self.signature = signature
        }
    }

    /// The URL is shown with its secrets redacted (`URLRedaction`).
    public var description: String {
        "gateway \(name) (\(kind.rawValue)) \(URLRedaction.redact(url).text)" + (bearerToken != nil || authToken != nil || !secrets.isEmpty ? " [credentials redacted]" : "")
    }
}

/// Redacts the secrets a URL can carry before it is logged or shown: the password of its userinfo
/// (`https://user:pass@host` → `https://user:***@host`; a user name alone is taken for a token and
/// redacted too) and every query or fragment value whose name suggests a secret (`token`,
/// `access_token`, `api_key`, `key`, `secret`, `password`, `sig`, `signature`, `auth`, `credential`,
/// `session`, …: any name containing one of `secretNameParts`). Other values are left as they are.
public enum URLRedaction {
    /// Parts of a parameter name (compared in lower case, `-` read as `_`) that mark its value as secret.
    public static let secretNameParts = [
        "token", "secret", "pass", "pwd", "key", "sig", "auth", "credential", "session", "cookie", "jwt", "private",
    ]

    /// The URL with its secrets replaced by `***`, and what was redacted (`password`, `user`,
    /// `query value api_key`, …), for a note beside it.
    public static func redact(_ url: String) -> (text: String, redacted: [String]) {
        var redacted: [String] = []
        var rest = Substring(url)
        var head = ""
        if let scheme = rest.range(of: "://") {
            head = String(rest[..<scheme.upperBound])
            rest = rest[scheme.upperBound...]
            let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
            let authority = rest[..<authorityEnd]
            if let at = authority.lastIndex(of: "@") {
                let userinfo = authority[..<at]
                if let colon = userinfo.firstIndex(of: ":") {
                    head += userinfo[..<colon] + ":***@"
                    redacted.append("password")
                } else {
                    head += "***@"
                    redacted.append("user")
                }
                rest = rest[authority.index(after: at)...]
            }
        }
        var fragment: Substring?
        if let hash = rest.firstIndex(of: "#") {
            fragment = rest[rest.index(after: hash)...]
            rest = rest[..<hash]
        }
        var text = head
        if let question = rest.firstIndex(of: "?") {
            text += rest[...question] + redactParameters(rest[rest.index(after: question)...], &redacted)
        } else {
            text += rest
        }
        if let fragment { text += "#" + redactParameters(fragment, &redacted) }
        return (text, redacted)
    }

    /// Whether a parameter of this name holds a secret.
    public static func isSecretName(_ name: String) -> Bool {
        let normalised = (name.removingPercentEncoding ?? name).lowercased().replacingOccurrences(of: "-", with: "_")
        return secretNameParts.contains { normalised.contains($0) }
    }

    private static func redactParameters(_ text: Substring, _ redacted: inout [String]) -> String {
        text.split(separator: "&", omittingEmptySubsequences: false).map { pair -> String in
            guard let equals = pair.firstIndex(of: "=") else { return String(pair) }
            let name = String(pair[..<equals])
            guard pair.index(after: equals) < pair.endIndex, isSecretName(name) else { return String(pair) }
            redacted.append("query value \(name)")
            return name + "=***"
        }.joined(separator: "&")
    }
}
