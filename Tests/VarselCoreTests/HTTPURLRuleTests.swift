import Foundation
import Testing

@testable import VarselCore

/// `ValueRules.isHTTPURL`: an http(s) URL with a host, as `URL(string:)` reads it; its byte-by-byte
/// reading of the plain shape must never accept what Foundation's reading refuses.
@Suite struct HTTPURLRuleTests {
    @Test("plain links are read without Foundation; the rest as Foundation reads them")
    func plainAndOther() {
        for accepted in [
            "https://pay.example/0", "http://a", "HTTPS://PAY.EXAMPLE", "https://pay.example:8443/i?x=1&y=%20#top",
            "https://pay.example/a b", "https://user@pay.example/", "https://.pay.example/", "https://pay.example/é",
        ] {
            #expect(ValueRules.isHTTPURL(accepted), "\(accepted)")
        }
        for refused in ["pay.example/abc", "ftp://pay.example/", "https://", "https:///path", "mailto:a@b.example", "", "https:pay.example"] {
            #expect(!ValueRules.isHTTPURL(refused), "\(refused)")
        }
        #expect(ValueRules.isPlainHTTPURL("https://pay.example/invoice/9000001?ref=1#a"))
        #expect(ValueRules.isPlainHTTPURL("http://10.0.0.1:80"))
        // Left to Foundation: a space, user information, a host starting with a dot, a second '#'.
        for other in ["https://pay.example/a b", "https://user@pay.example/", "https://.pay.example/", "https://p.example/a#b#c", "https://p.example:123456/"] {
            #expect(!ValueRules.isPlainHTTPURL(other), "\(other)")
        }
    }

    @Test("on random text built from URL pieces, the rule answers as Foundation's URL(string:) does")
    func agreesWithFoundation() {
        var random = SeededRandom(seed: 20_261_206)
        let schemes = ["https://", "http://", "HTTP://", "hTtPs://", "https:/", "https:", "htp://", "https//", "", "ftp://", "https://user@"]
        let hosts = ["pay.example", "a", "-a", "a-", "a..b", ".a", "a.", "", "10.0.0.1", "[::1]", "pay example", "pay_example", "ø.example", "%41"]
        let ports = ["", "", ":", ":0", ":80", ":65535", ":99999", ":123456", ":x"]
        let pieces = [
            "/", "?", "#", "a", "Z", "9", "-", ".", "_", "~", "!", "$", "&", "'", "(", ")", "*", "+", ",", ";", "=", ":", "@", "%", "%2F",
            "%zz", " ", "\"", "<", ">", "[", "]", "{", "}", "|", "\\", "^", "`", "é", "\u{0}", "\t", "\n", "\u{7F}", "€",
        ]
        var plain = 0
        var foundationOnly = 0
        var refused = 0
        for _ in 0..<20_000 {
            var text = schemes.randomElement(using: &random)! + hosts.randomElement(using: &random)! + ports.randomElement(using: &random)!
            for _ in 0..<Int.random(in: 0...6, using: &random) { text += pieces.randomElement(using: &random)! }
            let expected = ValueRules.isHTTPURLByFoundation(text)
            #expect(ValueRules.isHTTPURL(text) == expected, "\(text.debugDescription)")
            if ValueRules.isPlainHTTPURL(text) {
                #expect(expected, "read as plain, refused by Foundation: \(text.debugDescription)")
                plain += 1
            } else if expected {
                foundationOnly += 1
            } else {
                refused += 1
            }
        }
        // Every branch was taken many times.
        #expect(plain > 300)
        #expect(foundationOnly > 1_000)
        #expect(refused > 1_000)
    }
}
