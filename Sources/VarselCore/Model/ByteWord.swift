/// Tests on eight bytes at once (a `UInt64` loaded from UTF-8), for scans where nearly every byte is
/// ordinary and only a few values need a closer look.
enum ByteWord {
    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highs: UInt64 = 0x8080_8080_8080_8080

    /// Whether some byte of `word` is below `n` (n ≤ 128): `(x - n·0x01…01) & ~x & 0x80…80` is
    /// non-zero exactly then (the "has a byte less than n" of bit-twiddling lore).
    @inline(__always)
    static func hasByte(_ word: UInt64, below n: UInt64) -> Bool {
        (word &- n &* ones) & ~word & highs != 0
    }

    /// Whether some byte of `word` equals `byte`: XORed with it in every byte, that byte is below 1.
    @inline(__always)
    static func hasByte(_ word: UInt64, equalTo byte: UInt8) -> Bool {
        hasByte(word ^ (UInt64(byte) &* ones), below: 1)
    }
}
