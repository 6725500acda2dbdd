import Foundation

/// Draws from a Beta distribution, for Thompson sampling over send hours (`LearnedSendHour`).
///
/// Beta(α, β) is X / (X + Y) for independent X ~ Gamma(α), Y ~ Gamma(β). Gamma draws use Marsaglia and
/// Tsang's squeeze method (2000) for shape ≥ 1 and, for shape < 1, its standard boost
/// Gamma(a) = Gamma(a + 1) · U^(1/a); standard normals come from Box–Muller. The Gammas are kept as
/// logarithms so that tiny shapes, whose draws underflow to 0, still give a number in [0, 1] rather than 0/0.
/// All randomness comes from the generator passed in, so a seeded generator gives reproducible draws.
public enum BetaSampling {
    /// One draw from Beta(`alpha`, `beta`), in [0, 1]. Both shapes must be positive and finite (traps otherwise:
    /// a programming error, callers build them from counts plus one).
    public static func sample(alpha: Double, beta: Double, using rng: inout some RandomNumberGenerator) -> Double {
        precondition(alpha > 0 && beta > 0 && alpha.isFinite && beta.isFinite, "Beta shapes must be positive and finite")
        let logX = logGamma(shape: alpha, using: &rng)
        let logY = logGamma(shape: beta, using: &rng)
        // X / (X + Y) = 1 / (1 + Y / X); exp overflowing to +∞ gives 0, underflowing to 0 gives 1.
        let draw = 1 / (1 + exp(logY - logX))
        return min(1, max(0, draw))
    }

    /// The logarithm of one draw from Gamma(`shape`, 1).
    static func logGamma(shape: Double, using rng: inout some RandomNumberGenerator) -> Double {
        if shape < 1 {
            // Boost: Gamma(a) = Gamma(a + 1) · U^(1/a), so log = log Gamma(a + 1) + log(U) / a.
            return logGamma(shape: shape + 1, using: &rng) + log(openUnit(using: &rng)) / shape
        }
        let d = shape - 1.0 / 3
        let c = 1 / (9 * d).squareRoot()
        while true {
            let x = standardNormal(using: &rng)
            let root = 1 + c * x
            guard root > 0 else { continue }
            let v = root * root * root
            let u = openUnit(using: &rng)
            let x2 = x * x
            if u < 1 - 0.0331 * x2 * x2 || log(u) < 0.5 * x2 + d * (1 - v + log(v)) {
                return log(d) + log(v)
            }
        }
    }

    /// One standard normal draw (Box–Muller; the second value of the pair is discarded to keep this stateless).
    static func standardNormal(using rng: inout some RandomNumberGenerator) -> Double {
        let u1 = openUnit(using: &rng)
        let u2 = openUnit(using: &rng)
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// A uniform draw from the open interval (0, 1): never 0, so its logarithm is finite, and never 1.
    static func openUnit(using rng: inout some RandomNumberGenerator) -> Double {
        // 53 random bits, centred in their cell: (k + 0.5) / 2^53 for k in 0..<2^53.
        (Double(rng.next() >> 11) + 0.5) * 0x1p-53
    }
}
