import Foundation

/// Message ids: `msg_` + 26 Crockford base-32 characters (48 bits of milliseconds, 80 random bits), so
/// ids sort by creation time and never carry personal data.
public enum MessageID {
    static let alphabet = Array("0123456789abcdefghjkmnpqrstvwxyz".utf8)

    public static func generate(now: Date = Date()) -> String {
        var generator = SystemRandomNumberGenerator()
        return generate(now: now, using: &generator)
    }

    public static func generate(now: Date, using generator: inout some RandomNumberGenerator) -> String {
        let millis = UInt64(max(0, now.timeIntervalSince1970 * 1000))
        var chars: [UInt8] = []
        for shift in stride(from: 45, through: 0, by: -5) {
            chars.append(alphabet[Int((millis >> UInt64(shift)) & 0x1F)])
        }
        // 80 random bits from two draws (each draw of the system generator is a system call).
        var random = (generator.next(), generator.next())
        for index in 0..<16 {
            if index < 12 {
                chars.append(alphabet[Int(random.0 & 0x1F)])
                random.0 >>= 5
            } else {
                chars.append(alphabet[Int(random.1 & 0x1F)])
                random.1 >>= 5
            }
        }
        return "msg_" + String(decoding: chars, as: UTF8.self)
    }

    /// The key every send of a message on a channel carries, stable across retries and restarts.
    public static func idempotencyKey(messageID: String, channel: Channel) -> String {
        "\(messageID).\(channel.rawValue)"
    }
}
