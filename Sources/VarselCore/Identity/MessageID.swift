import Foundation

/// Message ids: `msg_` + 26 Crockford base-32 characters (48 bits of milliseconds, 80 random bits), so
/// ids sort by creation time and never carry personal data.
///
/// The ids of a batch stored in one go (`generate(count:now:)`) ascend in the batch's order: the
/// first takes 80 fresh random bits, each next one the previous bits plus a random step (1 to 2^24),
/// as ULID's monotonic mode does. The queue is leased in id order, so a batch is then read where its
/// rows lie together, in the table and in every index keyed by message id, instead of at random
/// places: a file of 20,000 messages enqueued in one millisecond had each lease of 128 touch about
/// 150 pages of the table.
public enum MessageID {
    static let alphabet = Array("0123456789abcdefghjkmnpqrstvwxyz".utf8)
    /// The random part holds 80 bits.
    static let randomLimit = UInt128(1) << 80

    public static func generate(now: Date = Date()) -> String {
        var generator = SystemRandomNumberGenerator()
        return generate(now: now, using: &generator)
    }

    public static func generate(now: Date, using generator: inout some RandomNumberGenerator) -> String {
        "msg_" + encode(millis: millis(now), random: freshRandom(&generator))
    }

    /// `count` ids of `now`, ascending.
    public static func generate(count: Int, now: Date) -> [String] {
        var generator = SystemRandomNumberGenerator()
        let millis = millis(now)
        var random = freshRandom(&generator)
        var ids: [String] = []
        ids.reserveCapacity(count)
        for index in 0..<count {
            if index > 0 {
                // One draw (a system call) for the step; past the 80 bits (never, in practice) fresh bits.
                let next = random + 1 + UInt128(generator.next() & 0xFF_FFFF)
                random = next < randomLimit ? next : freshRandom(&generator)
            }
            ids.append("msg_" + encode(millis: millis, random: random))
        }
        return ids
    }

    static func millis(_ now: Date) -> UInt64 {
        UInt64(max(0, now.timeIntervalSince1970 * 1000))
    }

    /// 80 random bits, from two draws (each draw of the system generator is a system call).
    static func freshRandom(_ generator: inout some RandomNumberGenerator) -> UInt128 {
        (UInt128(generator.next() & 0xFFFF) << 64) | UInt128(generator.next())
    }

    /// 10 characters of milliseconds and 16 of the random part, most significant first (base 32,
    /// so the text sorts as the numbers do).
    static func encode(millis: UInt64, random: UInt128) -> String {
        var chars = [UInt8](repeating: 0, count: 26)
        for index in 0..<10 {
            chars[index] = alphabet[Int((millis >> UInt64(45 - 5 * index)) & 0x1F)]
        }
        for index in 0..<16 {
            chars[10 + index] = alphabet[Int((random >> UInt128(75 - 5 * index)) & 0x1F)]
        }
        return String(decoding: chars, as: UTF8.self)
    }

    /// The key every send of a message on a channel carries, stable across retries and restarts.
    public static func idempotencyKey(messageID: String, channel: Channel) -> String {
        "\(messageID).\(channel.rawValue)"
    }
}
