import Crypto
import Foundation

/// `sha256:<hex>` digests, the form Varsel records for template versions, content and requests.
public enum Digest {
    public static func sha256(_ pieces: [String]) -> String {
        var hasher = SHA256()
        for piece in pieces { hasher.update(data: Data((piece + "\u{0}").utf8)) }
        return "sha256:" + hex(hasher.finalize())
    }

    public static func sha256(_ data: Data) -> String {
        "sha256:" + hex(SHA256.hash(data: data))
    }

    /// The digest of the bytes of `parts` one after the other.
    public static func sha256(_ parts: ArraySlice<UInt8>...) -> String {
        var hasher = SHA256()
        for part in parts { part.withUnsafeBytes { hasher.update(bufferPointer: $0) } }
        return "sha256:" + hex(hasher.finalize())
    }

    static func hex(_ digest: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var bytes: [UInt8] = []
        for byte in digest {
            bytes.append(digits[Int(byte >> 4)])
            bytes.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
