import VarselCore

extension SeededRandom {
    /// A text of up to `maxPieces` pieces drawn from `pieces` (none at all included), for tests that
    /// hold a fast path to the plain form on many seeded inputs.
    public mutating func text(of pieces: [String], maxPieces: Int) -> String {
        (0..<Int.random(in: 0...maxPieces, using: &self)).map { _ in pieces.randomElement(using: &self)! }.joined()
    }
}
