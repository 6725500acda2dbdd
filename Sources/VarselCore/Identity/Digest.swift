import Crypto
import Foundation

/// `sha256:<hex>` digests, the form Varsel records for template versions, content and requests.
public enum Digest {
    /// The digest of each piece's UTF-8 followed by a zero byte, the pieces hashed where they lie.
    public static func sha256(_ pieces: [String]) -> String {
        var hasher = SHA256()
        for var piece in pieces {
            piece.withUTF8 { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }
            withUnsafeBytes(of: UInt8(0)) { hasher.update(bufferPointer: $0) }
        }
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
        let digits: StaticString = "0123456789abcdef"
        var bytes: [UInt8] = []
        bytes.reserveCapacity(64)
        for byte in digest {
            bytes.append(digits.utf8Start[Int(byte >> 4)])
            bytes.append(digits.utf8Start[Int(byte & 0x0F)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
