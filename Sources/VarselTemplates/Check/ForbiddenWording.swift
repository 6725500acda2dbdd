import Foundation
import Yams

/// Words and phrases that threaten a debtor, per language, from `_rules/forbidden_wording.yaml`:
///
/// ```yaml
/// en: [police, "legal action", "bailiff*"]
/// nb: ["politi*", "namsmann*"]
/// ```
///
/// Matching ignores case and treats any run of spaces as one space. An entry matches a whole word
/// or phrase; a trailing `*` lets the last word go on (`politi*` matches `politiet`). In scripts
/// written without spaces between words (Japanese, Chinese) an entry matches anywhere.
///
/// `allow` lifts entries for one kind's own templates, where the word names a real next step
/// factually (a Swedish collection notice may name `betalningsföreläggande`):
///
/// ```yaml
/// allow:
///   collection_notice: { sv: ["betalningsföreläggande*", "kronofogd*"] }
/// ```
public struct ForbiddenWording: Sendable, Hashable {
    public struct Entry: Sendable, Hashable {
        public let text: String
        let words: [[Character]]
        let isStem: Bool
        let line: Int
        /// Written in a script with spaces between words: the entry must start (and end) at a word edge.
        let spaced: Bool
    }

    public let file: String
    /// Language (primary subtag) → entries.
    public let entries: [String: [Entry]]
    /// Kind → language → entries (their text as written) that the kind's templates may use.
    public let allowed: [String: [String: Set<String>]]
    /// Language → first character → entries starting with it, so a text is read once per language.
    private let byFirstCharacter: [String: [Character: [Entry]]]
    /// Language → the same for the 128 ASCII characters, by code: most of a template's characters are
    /// ASCII, and an array index costs far less than hashing a `Character` (which normalises it).
    private let byFirstASCII: [String: [[Entry]]]

    init(file: String, entries: [String: [Entry]], allowed: [String: [String: Set<String>]] = [:]) {
        self.file = file
        self.entries = entries
        self.allowed = allowed
        let byFirstCharacter = entries.mapValues { list in
            Dictionary(grouping: list.filter { $0.words.first?.first != nil }) { $0.words[0][0] }
        }
        self.byFirstCharacter = byFirstCharacter
        self.byFirstASCII = byFirstCharacter.mapValues { index in
            (0..<128).map { code in index[Character(Unicode.Scalar(UInt8(code)))] ?? [] }
        }
    }

    static let path = "_rules/forbidden_wording.yaml"

    static func parse(_ source: String, file: String) -> (wording: ForbiddenWording?, problems: [TemplateProblem]) {
        var problems: [TemplateProblem] = []
        func fail(_ mark: Mark?, _ message: String) { problems.append(DataFileYAML.problem(file, mark, message)) }
        let root: Node?
        switch DataFileYAML.compose(source, file: file) {
        case .success(let node): root = node
        case .failure(let problem): return (nil, [problem])
        }
        guard let mapping = root?.mapping else {
            fail(root?.mark, "expected a mapping from language (en, nb, …) to a list of words and phrases")
            return (nil, problems)
        }
        var entries: [String: [Entry]] = [:]
        var allowNode: Node?
        for (key, value) in mapping {
            if key.string == "allow" {
                allowNode = value
                continue
            }
            guard let language = key.string, !language.isEmpty, language.allSatisfy({ $0.isASCII && $0.isLowercase }) else {
                fail(key.mark, "'\(key.string ?? "?")' is not a language code such as en or nb")
                continue
            }
            guard let list = value.sequence else {
                fail(value.mark, "\(language): expected a list of words and phrases")
                continue
            }
            for item in list {
                guard let text = item.string?.trimmingCharacters(in: .whitespaces), !text.isEmpty, text != "*" else {
                    fail(item.mark, "\(language): an entry must be a non-empty word or phrase")
                    continue
                }
                let isStem = text.hasSuffix("*")
                let body = (isStem ? String(text.dropLast()) : text).lowercased()
                let words = body.split(whereSeparator: \.isWhitespace).map { Array($0) }
                let spaced = words.first?.first.map(Self.isSpacedScript) ?? false
                entries[language, default: []].append(Entry(text: text, words: words, isStem: isStem, line: item.mark?.line ?? 1, spaced: spaced))
            }
        }
        var allowed: [String: [String: Set<String>]] = [:]
        if let allowNode {
            guard let kinds = allowNode.mapping else {
                fail(allowNode.mark, "allow: expected a mapping from kind to languages, e.g. collection_notice: { sv: [\"kronofogd*\"] }")
                return (nil, problems)
            }
            for (kindNode, languages) in kinds {
                let kind = kindNode.string ?? ""
                guard let languageMap = languages.mapping else {
                    fail(languages.mark, "allow.\(kind): expected a mapping from language to entries")
                    continue
                }
                for (languageNode, list) in languageMap {
                    let language = languageNode.string ?? ""
                    guard let items = list.sequence else {
                        fail(list.mark, "allow.\(kind).\(language): expected a list of entries of the \(language) list")
                        continue
                    }
                    for item in items {
                        let text = item.string?.trimmingCharacters(in: .whitespaces) ?? ""
                        guard entries[language]?.contains(where: { $0.text == text }) == true else {
                            fail(item.mark, "allow.\(kind).\(language): '\(text)' is not an entry of the \(language) list")
                            continue
                        }
                        allowed[kind, default: [:]][language, default: []].insert(text)
                    }
                }
            }
        }
        return (problems.isEmpty ? ForbiddenWording(file: file, entries: entries, allowed: allowed) : nil, problems)
    }

    /// Every match of the language's entries in `literal` (template text with tags blanked), as
    /// (offset of the first character, entry).
    /// `kind`: the template's kind, whose allowed entries are skipped (nil for shared partials).
    public func matches(in literal: [Character], language: String, kind: String? = nil) -> [(offset: Int, entry: Entry)] {
        guard let index = byFirstCharacter[language], !index.isEmpty, let asciiIndex = byFirstASCII[language] else { return [] }
        let lifted = kind.flatMap { allowed[$0]?[language] } ?? []
        let lowered = literal.map(Self.lowercased)
        var found: [(Int, Entry)] = []
        for start in lowered.indices {
            // Only "\r\n" has an ASCII value without being one ASCII scalar, and no entry starts with a line end.
            let character = lowered[start]
            let candidates = character.asciiValue.map { asciiIndex[Int($0)] } ?? index[character] ?? []
            for entry in candidates where !lifted.contains(entry.text) && matches(entry, in: lowered, at: start) { found.append((start, entry)) }
        }
        return found
    }

    /// `character` in lower case (`Character.lowercased()`); an ASCII letter without Unicode's tables.
    private static func lowercased(_ character: Character) -> Character {
        if let code = character.asciiValue {
            return code >= 0x41 && code <= 0x5A ? Character(Unicode.Scalar(code + 0x20)) : character
        }
        return character.isUppercase ? Character(character.lowercased()) : character
    }

    /// Whether `entry` matches `text` (lower-cased) at `start`.
    private func matches(_ entry: Entry, in text: [Character], at start: Int) -> Bool {
        if entry.spaced, start > 0, text[start - 1].isLetter { return false }
        var index = start
        for (number, word) in entry.words.enumerated() {
            if number > 0 {
                guard index < text.count, text[index].isWhitespace else { return false }
                while index < text.count, text[index].isWhitespace { index += 1 }
            }
            guard index + word.count <= text.count else { return false }
            for character in word {
                guard text[index] == character else { return false }
                index += 1
            }
        }
        return !(entry.spaced && !entry.isStem && index < text.count && text[index].isLetter)
    }

    /// Scripts that separate words with spaces, where an entry must start (and end) at a word edge.
    private static func isSpacedScript(_ character: Character) -> Bool {
        guard let scalar = character.unicodeScalars.first?.value else { return false }
        let unspaced: [ClosedRange<UInt32>] = [
            0x3040...0x30FF,  // hiragana, katakana
            0x3400...0x4DBF, 0x4E00...0x9FFF, 0xF900...0xFAFF,  // CJK ideographs
            0xAC00...0xD7AF,  // hangul syllables: spaced, but particles attach; match anywhere
            0x0E00...0x0E7F,  // Thai
            0x0600...0x06FF,  // Arabic: the article and prepositions attach to the word
        ]
        return !unspaced.contains { $0.contains(scalar) }
    }
}
