import Crypto
import Foundation

/// Message ids: `msg_` + 26 Crockford base-32 characters (48 bits of milliseconds, 80 random bits), so
/// ids sort by creation time and never carry personal data.
///
/// The ids of a batch stored in one go (`generate(count:now:)`, or `Numbering` over several chunks)
/// ascend in the batch's order: the first takes 80 fresh random bits, each next one the previous bits
/// plus a random step (1 to 2^24), as ULID's monotonic mode does. The queue is leased in id order, so a batch is then read where its
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
        id(millis: millis(now), random: freshRandom(&generator))
    }

    /// `count` ids of `now`, ascending.
    public static func generate(count: Int, now: Date) -> [String] {
        var numbering = Numbering(now: now)
        return numbering.next(count)
    }

    /// Ids of one time handed out over several calls (the chunks of one enqueue), ascending across
    /// all of them: each call's ids continue after the last id of the call before.
    public struct Numbering: Sendable {
        private let millis: UInt64
        /// The random part of the last id handed out.
        private var last: UInt128?

        public init(now: Date) {
            millis = MessageID.millis(now)
        }

        /// The next `count` ids.
        public mutating func next(_ count: Int) -> [String] {
            guard count > 0 else { return [] }
            var generator = SystemRandomNumberGenerator()
            var ids: [String] = []
            ids.reserveCapacity(count)
            var random: UInt128
            if let last {
                random = last
            } else {
                random = freshRandom(&generator)
                ids.append(id(millis: millis, random: random))
            }
            for step in randomSteps(count - ids.count, using: &generator) {
                // Past the 80 bits (never, in practice) fresh bits.
                let next = random + 1 + UInt128(step & 0xFF_FFFF)
                random = next < randomLimit ? next : freshRandom(&generator)
                ids.append(id(millis: millis, random: random))
            }
            last = random
            return ids
        }
    }

    /// `count` random 32-bit words: SHA-256 of 256 fresh bits and a block number, eight words a block
    /// (a hash-based generator). A draw of the system generator is a system call; one for every id of
    /// a batch was the serial part of its validation that showed most.
    static func randomSteps(_ count: Int, using generator: inout some RandomNumberGenerator) -> [UInt32] {
        guard count > 0 else { return [] }
        var key = [UInt8](repeating: 0, count: 40)
        for word in 0..<4 { withUnsafeBytes(of: generator.next()) { key.replaceSubrange(word * 8..<word * 8 + 8, with: $0) } }
        var steps: [UInt32] = []
        steps.reserveCapacity(count + 7)
        var block: UInt64 = 0
        while steps.count < count {
            withUnsafeBytes(of: block) { key.replaceSubrange(32..<40, with: $0) }
            SHA256.hash(data: key).withUnsafeBytes { digest in
                for offset in stride(from: 0, to: 32, by: 4) { steps.append(digest.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) }
            }
            block += 1
        }
        return Array(steps.prefix(count))
    }

    static func millis(_ now: Date) -> UInt64 {
        UInt64(max(0, now.timeIntervalSince1970 * 1000))
    }

    /// 80 random bits, from two draws (each draw of the system generator is a system call).
    static func freshRandom(_ generator: inout some RandomNumberGenerator) -> UInt128 {
        (UInt128(generator.next() & 0xFFFF) << 64) | UInt128(generator.next())
    }

    /// `msg_` and the encoded time and random part (`write`), written into the string's own storage.
    static func id(millis: UInt64, random: UInt128) -> String {
        String(unsafeUninitializedCapacity: 30) { buffer in
            for (index, byte) in "msg_".utf8.enumerated() { buffer[index] = byte }
            write(millis: millis, random: random, into: UnsafeMutableBufferPointer(rebasing: buffer[4...]))
            return 30
        }
    }

    /// 10 characters of milliseconds and 16 of the random part, most significant first (base 32,
    /// so the text sorts as the numbers do).
    private static func write(millis: UInt64, random: UInt128, into chars: UnsafeMutableBufferPointer<UInt8>) {
        for index in 0..<10 {
            chars[index] = alphabet[Int((millis >> UInt64(45 - 5 * index)) & 0x1F)]
        }
        for index in 0..<16 {
            chars[10 + index] = alphabet[Int((random >> UInt128(75 - 5 * index)) & 0x1F)]
        }
    }

    /// The key every send of a message on a channel carries, stable across retries and restarts.
    public static func idempotencyKey(messageID: String, channel: Channel) -> String {
        "\(messageID).\(channel.rawValue)"
    }
}
