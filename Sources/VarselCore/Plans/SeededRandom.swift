/// A reproducible random number generator: xoshiro256** (Blackman and Vigna, 2018), its 256-bit state
/// filled from the seed by SplitMix64, as its authors recommend.
///
/// Why: the learned send hour draws at random (Thompson sampling). Tests and the simulated demo pass a
/// `SeededRandom` so that every run draws the same numbers; the daemon passes
/// `SystemRandomNumberGenerator`. Not cryptographically secure; never use it for secrets or tokens.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    /// The same seed always gives the same sequence, on every platform.
    public init(seed: UInt64) {
        var splitMix = seed
        s0 = Self.splitMix64(&splitMix)
        s1 = Self.splitMix64(&splitMix)
        s2 = Self.splitMix64(&splitMix)
        s3 = Self.splitMix64(&splitMix)
        // SplitMix64 is a bijection of its counter, so four consecutive outputs are never all zero
        // (xoshiro's one forbidden state).
    }

    /// The next 64 random bits (xoshiro256**).
    public mutating func next() -> UInt64 {
        let result = rotateLeft(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotateLeft(s3, 45)
        return result
    }

    /// One step of SplitMix64 (Steele, Lea and Flood, 2014): advances `state` and returns its mixed output.
    static func splitMix64(_ state: inout UInt64) -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    private func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 {
        (x << k) | (x >> (64 - k))
    }
}
