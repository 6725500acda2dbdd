import Foundation
import Testing
@testable import VarselCore
import VarselTestSupport

/// BCP 47 tags: normalised spelling, well-formedness and the template fallback chain.
@Suite("Locale tags")
struct LocaleTagTests {
    @Test("the quick check for an already normalised tag agrees with the part-by-part way on 20,000 seeded tags")
    func quickCheckAgrees() {
        var random = SeededRandom(seed: 47)
        let pieces = ["a", "A", "n", "B", "z", "Z", "-", "-", "_", "1", "é", "É", "hant", "NO", "no", "Hant", "419", "--"]
        for _ in 0..<20_000 {
            let tag = random.text(of: pieces, maxPieces: 6)
            #expect(LocaleTag.normalise(tag) == LocaleTag.normaliseByParts(tag), "\(tag)")
            #expect(!LocaleTag.isNormalised(tag) || LocaleTag.normaliseByParts(tag) == tag, "\(tag)")
        }
        for tag in ["nb-NO", "nb", "zh-Hant-TW", "es-419", "de-DE-1996"] { #expect(LocaleTag.isNormalised(tag), "\(tag)") }
    }

    @Test("the language subtag read by byte is the first part split by dashes gives, on 20,000 seeded tags")
    func languageByByteAgrees() {
        var random = SeededRandom(seed: 4748)
        let pieces = ["a", "N", "b", "z", "-", "_", "1", "é", "e\u{301}", "-\u{301}", "\r\n", " ", "hant", "NO", "419", "--", "٣"]
        for _ in 0..<20_000 {
            let tag = random.text(of: pieces, maxPieces: 6)
            #expect(LocaleTag.language(of: tag) == String(LocaleTag.normalise(tag).split(separator: "-").first ?? ""), "\(tag)")
        }
        #expect(LocaleTag.language(of: "nb-NO") == "nb")
        #expect(LocaleTag.language(of: "SV_se") == "sv")
        #expect(LocaleTag.language(of: "") == "")
    }

    @Test("the well-formedness check by byte agrees with the check by character on 20,000 seeded tags")
    func wellFormedByByteAgrees() {
        /// The check as it was written by character: the reference.
        func byCharacter(_ tag: String) -> Bool {
            let parts = tag.replacingOccurrences(of: "_", with: "-").split(separator: "-", omittingEmptySubsequences: false)
            guard let first = parts.first, (2...3).contains(first.count), first.allSatisfy(\.isASCIILetter) else { return false }
            return parts.dropFirst().allSatisfy { part in (2...8).contains(part.count) && part.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) } }
        }
        var random = SeededRandom(seed: 4747)
        let pieces = ["a", "N", "b", "z", "-", "_", "1", "9", "é", "e\u{301}", "\r\n", " ", "hant", "NO", "419", "--", "abcdefgh", "٣", "ｎ"]
        for _ in 0..<20_000 {
            let tag = random.text(of: pieces, maxPieces: 6)
            #expect(LocaleTag.isWellFormed(tag) == byCharacter(tag), "\(tag)")
        }
        for tag in ["nb-NO", "nb_no", "zh-Hant-TW", "es-419", "de-DE-1996"] { #expect(LocaleTag.isWellFormed(tag), "\(tag)") }
        for tag in ["", "n", "norw", "nb-", "nb--NO", "1b-NO", "nb-N", "nb-NO-abcdefghi", "nö"] { #expect(!LocaleTag.isWellFormed(tag), "\(tag)") }
    }

    @Test(
        "tags are normalised: language lower case, script title case, region upper case, '-' as separator",
        arguments: [
            ("nb_no", "nb-NO"),
            ("NB-no", "nb-NO"),
            ("NB", "nb"),
            ("nb-NO", "nb-NO"),
            ("ZH-hant-tw", "zh-Hant-TW"),
            ("zh_HANT", "zh-Hant"),
            ("sv_se", "sv-SE"),
            ("es-419", "es-419"),
        ])
    func normalise(input: String, expected: String) {
        #expect(LocaleTag.normalise(input) == expected)
    }

    @Test(
        "language and region subtags are read from any spelling",
        arguments: [
            ("nb_no", "nb", "NO" as String?),
            ("zh-Hant-TW", "zh", "TW"),
            ("FI", "fi", nil),
            ("en-GB", "en", "GB"),
        ])
    func languageAndRegion(tag: String, language: String, region: String?) {
        #expect(LocaleTag.language(of: tag) == language)
        #expect(LocaleTag.region(of: tag) == region)
    }

    @Test("a policy's kept chains are the chains worked out each time, for 2,000 seeded tags (more than it keeps), asked twice each")
    func keptChainsAgree() {
        var random = SeededRandom(seed: 11)
        let pieces = ["nb", "NO", "no", "sv", "SE", "fi", "-", "_", "de", "AT", "Hant", "x", "419", ""]
        let aliases = ["no": "nb", "nn": "nb"]
        let chains = LocaleChains(defaultLocale: "en", aliases: aliases)
        var tags: [String?] = [nil, "", "nb-NO", "no", "NB_no"]
        tags += (0..<2_000).map { index in (0..<Int.random(in: 1...4, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined() + "-\(index)" }
        for _ in 0..<2 {
            for tag in tags {
                #expect(chains.chain(for: tag) == LocaleTag.chain(for: tag, defaultLocale: "en", aliases: aliases), "\(tag ?? "nil")")
            }
        }
        #expect(chains.count == LocaleChains.limit)
    }

    @Test("the chain goes from the full tag to the language, then the default")
    func chainWithoutAliases() {
        #expect(LocaleTag.chain(for: "nb-NO", defaultLocale: "en", aliases: [:]) == ["nb-NO", "nb", "en"])
    }

    @Test("the chain is built from the normalised tag")
    func chainNormalises() {
        #expect(LocaleTag.chain(for: "nb_no", defaultLocale: "EN", aliases: [:]) == ["nb-NO", "nb", "en"])
    }

    @Test("an alias is tried after the tag's own language and before the default")
    func chainWithAlias() {
        #expect(LocaleTag.chain(for: "no-NO", defaultLocale: "en", aliases: ["no": "nb"]) == ["no-NO", "no", "nb", "en"])
    }

    @Test("an alias of another language does not enter the chain")
    func unrelatedAliasIgnored() {
        #expect(LocaleTag.chain(for: "sv-SE", defaultLocale: "en", aliases: ["no": "nb"]) == ["sv-SE", "sv", "en"])
    }

    @Test("without a tag the chain is just the default")
    func chainForNil() {
        #expect(LocaleTag.chain(for: nil, defaultLocale: "en", aliases: ["no": "nb"]) == ["en"])
    }

    @Test("the default appears once even when the tag already reaches it")
    func chainHasNoDuplicates() {
        #expect(LocaleTag.chain(for: "en-GB", defaultLocale: "en", aliases: [:]) == ["en-GB", "en"])
        #expect(LocaleTag.chain(for: "en", defaultLocale: "en", aliases: [:]) == ["en"])
    }

    @Test("a script subtag gives one more step in the chain")
    func chainWithScript() {
        #expect(
            LocaleTag.chain(for: "zh-Hant-TW", defaultLocale: "en", aliases: [:])
                == ["zh-Hant-TW", "zh-Hant", "zh", "en"])
    }

    @Test(
        "well-formed tags are recognised",
        arguments: ["nb", "nb-NO", "nb_NO", "zh-Hant-TW", "es-419", "fil", "de-CH-1901"])
    func wellFormed(tag: String) {
        #expect(LocaleTag.isWellFormed(tag))
    }

    @Test(
        "malformed tags are refused",
        arguments: ["", "n", "norsk", "nb-", "-NO", "nb--NO", "nb NO", "nb-N", "1b", "nb-NO-abcdefghi", "bø", "nb.NO"])
    func malformed(tag: String) {
        #expect(!LocaleTag.isWellFormed(tag))
    }
}
