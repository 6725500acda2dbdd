import Crypto
import Foundation
import Synchronization
import VarselCore

/// How a gateway's callbacks prove they come from the gateway. Checked before anything in the
/// callback is believed; every comparison runs in constant time.
public enum ReceiptSignature: Sendable {
    /// `X-Varsel-Timestamp: <unix seconds>` and `X-Varsel-Signature: sha256=<hex>` where the hex is
    /// HMAC-SHA256(secret, timestamp + "." + body); a timestamp outside `maxAge` is a replay.
    case hmacSHA256(secret: [UInt8], maxAge: TimeInterval)
    /// `X-Twilio-Signature` = base64(HMAC-SHA1(auth token, URL + each POST parameter sorted by name
    /// as name + value)), with the URL Twilio was given (`receipts.public_url`).
    case twilio(authToken: [UInt8], publicURL: String)
    /// HTTP Basic credentials the provider sends with each callback (user and password in the
    /// callback URL given to the provider: Postmark, LINK Mobility, 46elks, …).
    case basic(user: String, password: String)
    /// A preset's own scheme (`receipts.signature` names it), checked by the preset's adapter:
    /// `key` is its secret or public key as configured, `maxAge` its replay window.
    case preset(scheme: String, key: [UInt8], maxAge: TimeInterval)
    /// No signature (providers that have none, e.g. LINK Mobility): protect the URL instead.
    case none

    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        case missing(String)
        case invalid
        case expired

        public var description: String {
            switch self {
            case .missing(let header): "missing \(header) header"
            case .invalid: "signature does not match"
            case .expired: "timestamp outside the replay window"
            }
        }
    }

    /// Verifies a callback; `nil` when it is genuine. `headers` have lower-case names.
    public func verify(headers: [String: String], body: [UInt8], now: Date) -> Failure? {
        switch self {
        case .none:
            return nil
        case .basic(let user, let password):
            guard let authorization = headers["authorization"] else { return .missing("Authorization") }
            let expected = "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
            return ConstantTime.equal(expected, authorization) ? nil : .invalid
        case .preset:
            // The preset's adapter checks its own scheme; reaching here means it did not.
            return .invalid
        case .hmacSHA256(let secret, let maxAge):
            guard let timestamp = headers["x-varsel-timestamp"] else { return .missing("X-Varsel-Timestamp") }
            guard let signature = headers["x-varsel-signature"] else { return .missing("X-Varsel-Signature") }
            guard let seconds = Double(timestamp), abs(now.timeIntervalSince1970 - seconds) <= maxAge else { return .expired }
            let expected = "sha256=" + Self.hex(Self.hmacSHA256(secret, Array((timestamp + ".").utf8) + body))
            return ConstantTime.equal(expected, signature) ? nil : .invalid
        case .twilio(let token, let url):
            guard let signature = headers["x-twilio-signature"] else { return .missing("X-Twilio-Signature") }
            let expected = Self.twilioSignature(authToken: token, url: url, body: body)
            return ConstantTime.equal(expected, signature) ? nil : .invalid
        }
    }

    /// The scheme's name as configured (`receipts.signature`).
    public var schemeName: String {
        switch self {
        case .hmacSHA256: "hmac-sha256"
        case .twilio: "twilio"
        case .basic: "basic"
        case .preset(let scheme, _, _): scheme
        case .none: "none"
        }
    }

    /// Twilio's scheme for a form-encoded POST.
    public static func twilioSignature(authToken: [UInt8], url: String, body: [UInt8]) -> String {
        let parameters = FormEncoding.decode(String(decoding: body, as: UTF8.self)).sorted { ($0.0, $0.1) < ($1.0, $1.1) }
        return twilioSignature(authToken: authToken, url: url, parameters: parameters)
    }

    public static func twilioSignature(authToken: [UInt8], url: String, parameters: [(String, String)]) -> String {
        var message = url
        for (name, value) in parameters.sorted(by: { ($0.0, $0.1) < ($1.0, $1.1) }) { message += name + value }
        let code = HMAC<Insecure.SHA1>.authenticationCode(for: Array(message.utf8), using: SymmetricKey(data: authToken))
        return Data(code).base64EncodedString()
    }

    /// `sha256=<hex>` for a body and timestamp (what a gateway sends; used by tests and tools).
    public static func hmacHeader(secret: [UInt8], timestamp: String, body: [UInt8]) -> String {
        "sha256=" + hex(hmacSHA256(secret, Array((timestamp + ".").utf8) + body))
    }

    public static func hmacSHA256(_ secret: [UInt8], _ message: [UInt8]) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: secret)))
    }

    public static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String($0, radix: 16).leftPadded(to: 2) }.joined()
    }
}

/// Tokens seen within a replay window (Mailgun's `signature.token`): a token seen again within the
/// window is a replay. Per process: several hosts behind one URL each keep their own.
public final class ReplayCache: Sendable {
    private let seen = Mutex<[String: Date]>([:])
    public let window: TimeInterval

    public init(window: TimeInterval) {
        self.window = window
    }

    /// Whether `token` is new (and now remembered until `now + window`).
    public func admit(_ token: String, now: Date) -> Bool {
        seen.withLock { seen in
            if seen.count > 10_000 { seen = seen.filter { $0.value > now } }
            if let until = seen[token], until > now { return false }
            seen[token] = now.addingTimeInterval(window)
            return true
        }
    }
}
