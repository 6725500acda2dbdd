import Foundation
import Testing
import VarselCore

/// The digests Varsel records (content, template versions) must not change between versions: a
/// stored content hash is compared with the hash of content rendered later.
@Suite("Digests")
struct DigestTests {
    @Test("pieces hash as their UTF-8 each followed by a zero byte (values from Python's hashlib)")
    func piecesWithZeroBytes() {
        #expect(Digest.sha256(["Betal 1 234,50 kr", "", "<p>Grüße</p>"])
            == "sha256:41cc19dad34ed1ac6945a88291ff09fc06fd7febe29d32804e2a6800a6267cec")
        #expect(Digest.sha256([]) == "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        // A piece that is a slice of a larger string, and one not stored contiguously (bridged), hash the same.
        let long = "prefix:" + String(repeating: "æøå", count: 50)
        let slice = String(long.dropFirst(7))
        #expect(Digest.sha256([slice]) == Digest.sha256(Data((String(repeating: "æøå", count: 50) + "\u{0}").utf8)))
    }
}
