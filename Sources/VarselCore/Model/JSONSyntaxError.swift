/// Why some bytes are not one JSON document, and where: `problem` names what is wrong
/// ("unexpected character 'x' in an object, expected ',' or '}'"), the rest places it.
///
/// The description ("… at line 1, column 17 (byte 16)") is what a producer sees after "not valid JSON: ";
/// it quotes at most one character of the document, so it cannot carry a recipient's data back out.
public struct JSONSyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong, without the place.
    public let problem: String
    /// The zero-based offset of the offending byte in the input (the input's length at its end).
    public let offset: Int
    /// One-based line; lines end at LF, CR or CRLF.
    public let line: Int
    /// One-based column in Unicode scalars, so a column past "Søren" counts ø once.
    public let column: Int

    public var description: String { "\(problem) at line \(line), column \(column) (byte \(offset))" }

    /// Places `problem` at `offset` in `bytes`, counting lines and columns up to it.
    init(_ problem: String, at offset: Int, in bytes: UnsafeBufferPointer<UInt8>) {
        self.problem = problem
        self.offset = offset
        var line = 1
        var column = 1
        var index = 0
        let end = min(offset, bytes.count)
        while index < end {
            switch bytes[index] {
            case UInt8(ascii: "\r"):
                if index + 1 < end, bytes[index + 1] == UInt8(ascii: "\n") { index += 1 }
                line += 1
                column = 1
            case UInt8(ascii: "\n"):
                line += 1
                column = 1
            case let byte where byte & 0xC0 == 0x80:
                break  // a UTF-8 continuation byte: same scalar, same column
            default:
                column += 1
            }
            index += 1
        }
        self.line = line
        self.column = column
    }
}
