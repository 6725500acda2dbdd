/// Comparisons of secrets whose time does not depend on where the two differ.
public enum ConstantTime {
    /// Whether `a` and `b` hold the same bytes. Runs over the longer of the two whatever they hold; a
    /// difference in length counts in full (not only in its low bits).
    public static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        let lengthDifference = UInt(bitPattern: a.count ^ b.count)
        var byteDifference: UInt8 = 0
        for index in 0..<max(a.count, b.count) {
            byteDifference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0)
        }
        return (lengthDifference | UInt(byteDifference)) == 0
    }

    public static func equal(_ a: String, _ b: String) -> Bool { equal(Array(a.utf8), Array(b.utf8)) }
}
