extension String {
    /// The string without leading and trailing white space (Unicode `isWhitespace`, newlines included).
    public var trimmed: String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars = scalars.dropFirst() }
        while let last = scalars.last, last.isWhitespace { scalars = scalars.dropLast() }
        return String(scalars)
    }
}

extension String {
    /// The string padded on the left with zeros to `width` characters (`"7".leftPadded(to: 2)` → `"07"`).
    public func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
