extension String {
    /// The string without leading and trailing white space (Unicode `isWhitespace`, newlines included).
    public var trimmed: String {
        // Most texts begin and end with a visible ASCII character: nothing to trim, and no need to
        // walk grapheme clusters to find out (a cluster that ends in one is not white space either).
        if let first = utf8.first, let last = utf8.last, first > 0x20, first < 0x7F, last > 0x20, last < 0x7F { return self }
        // Index steps from each end: `Substring.dropLast()` went through `Collection`'s, which
        // walks the whole text to count it, for every character dropped.
        var start = startIndex
        var end = endIndex
        while start < end, self[start].isWhitespace { start = index(after: start) }
        while start < end {
            let before = index(before: end)
            guard self[before].isWhitespace else { break }
            end = before
        }
        return String(self[start..<end])
    }
}

extension String {
    /// The string padded on the left with zeros to `width` characters (`"7".leftPadded(to: 2)` → `"07"`).
    public func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
