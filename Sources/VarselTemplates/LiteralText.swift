/// A template file's source with every tag (comments included) blanked to spaces, line breaks kept:
/// the literal text at its true line and column, for the wording and HTML checks.
///
/// Kept as the source and the tags' character ranges, and made into characters only while a check
/// reads it: a template set lives as long as the daemon, and as `[Character]` (16 bytes a character)
/// the shipped set's literal texts alone held about 7 MB of its heap.
struct LiteralText: Sendable {
    let source: String
    /// The tags, as offsets into the source's characters.
    let tags: [Range<Int>]

    /// The source's characters with the tags blanked.
    var characters: [Character] {
        var characters = Array(source)
        for tag in tags {
            for index in tag where !characters[index].isNewline { characters[index] = " " }
        }
        return characters
    }
}
