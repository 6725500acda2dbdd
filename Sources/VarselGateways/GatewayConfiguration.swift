import Foundation
import VarselCore

/// One configured gateway (`gateways.<name>`), with its secrets already read from files or the
/// environment. `description` never shows secrets.
public struct GatewayConfiguration: Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable, CaseIterable {
        /// The generic JSON shape of DESIGN.md §5.
        case httpJSON = "http-json"
        /// Twilio's form-encoded Messages API (SMS only).
        case twilio
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
        public var format: ReceiptFormat
        public var signature: ReceiptSignature

        public init(format: ReceiptFormat, signature: ReceiptSignature) {
            self.format = format
            self.signature = signature
        }
    }

    public var description: String {
        "gateway \(name) (\(kind.rawValue)) \(url)" + (bearerToken != nil || authToken != nil ? " [credentials redacted]" : "")
    }
}
