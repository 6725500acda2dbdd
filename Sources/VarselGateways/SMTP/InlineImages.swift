import Crypto
import Foundation

/// An email's HTML with its `data:` images taken out into inline parts. Templates embed images
/// (the EPC QR code of a payment reminder) as `data:image/png;base64,…` so that a letter's HTML
/// needs no other file, but most mail clients (Gmail, Outlook) do not show a `data:` image. Each
/// `<img src="data:image/…;base64,…">` becomes `<img src="cid:…">` and an inline part with that
/// Content-ID (RFC 2392), which every mail client shows: a `multipart/related` part over SMTP
/// (``MIMEMessage``), a provider API's inline attachment otherwise.
///
/// Only `src` of `<img>` is rewritten, and only for an `image/*` type with base64 data that
/// decodes; anything else is left as it is. The same image twice is one part. Names and ids come
/// from the image's SHA-256, so the same message gives the same parts on every retry.
public struct InlineImages: Sendable {
    public struct Image: Sendable, Hashable {
        /// As the HTML refers to it after `cid:`.
        public let contentID: String
        /// `image-<16 hex digits>.png`.
        public let filename: String
        /// `image/png`.
        public let contentType: String
        public let data: [UInt8]
    }

    public let html: String
    public let images: [Image]

    /// `html` with its `data:` images replaced; `domain`, when given, makes each Content-ID
    /// `<filename>@<domain>` (the `id-left@id-right` form of RFC 5322 §3.6.4), else the Content-ID is
    /// the filename itself (what Mailgun makes of an inline file).
    public init(html: String, domain: String? = nil) {
        var images: [Image] = []
        var output = ""
        var rest = html[...]
        while let open = rest.range(of: "<img", options: .caseInsensitive) {
            guard let close = rest[open.upperBound...].firstIndex(of: ">") else { break }
            output += rest[..<open.lowerBound]
            var tag = String(rest[open.lowerBound...close])
            if let (range, image) = Self.dataImage(in: tag, domain: domain) {
                tag.replaceSubrange(range, with: "cid:" + image.contentID)
                if !images.contains(where: { $0.contentID == image.contentID }) { images.append(image) }
            }
            output += tag
            rest = rest[rest.index(after: close)...]
        }
        output += rest
        self.html = output
        self.images = images
    }

    /// `src="…"` or `src='…'` of a tag (not `data-src`), case-insensitive.
    private static let source = try! NSRegularExpression(pattern: #"[\s/]src\s*=\s*("([^"]*)"|'([^']*)')"#, options: [.caseInsensitive])

    /// The range of the `src` value in `tag` and its image, when it is a base64 `data:` image.
    static func dataImage(in tag: String, domain: String?) -> (Range<String.Index>, Image)? {
        let whole = NSRange(tag.startIndex..., in: tag)
        guard let match = source.firstMatch(in: tag, range: whole) else { return nil }
        let group = match.range(at: 2).location != NSNotFound ? match.range(at: 2) : match.range(at: 3)
        guard let range = Range(group, in: tag) else { return nil }
        let value = unescaped(String(tag[range])).trimmingCharacters(in: .whitespaces)
        guard value.lowercased().hasPrefix("data:"), let comma = value.firstIndex(of: ",") else { return nil }
        let header = value[value.index(value.startIndex, offsetBy: 5)..<comma].lowercased()
        let parameters = header.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let type = parameters.first, type.hasPrefix("image/"), type.count > 6, parameters.dropFirst().contains("base64"),
              type.allSatisfy({ $0.isLetter || $0.isNumber || "/+-.".contains($0) })
        else { return nil }
        let payload = value[value.index(after: comma)...].filter { !$0.isWhitespace }
        guard let data = Data(base64Encoded: String(payload)), !data.isEmpty else { return nil }
        let bytes = Array(data)
        let digest = SHA256.hash(data: bytes).prefix(8).map { String(format: "%02x", $0) }.joined()
        let filename = "image-\(digest).\(fileExtension(type))"
        let contentID = domain.map { "\(filename)@\($0)" } ?? filename
        return (range, Image(contentID: contentID, filename: filename, contentType: type, data: bytes))
    }

    /// `png`, `jpg`, `gif`, `svg`, …: what follows `image/`, without a `+` suffix.
    static func fileExtension(_ type: String) -> String {
        let subtype = type.dropFirst("image/".count).split(separator: "+").first.map(String.init) ?? "bin"
        return subtype == "jpeg" ? "jpg" : subtype
    }

    /// An attribute value with its character references decoded (`&amp;`, `&#43;`, `&#x2F;`, …):
    /// a template escapes what it prints, and a data URI must be read as the browser reads it.
    static func unescaped(_ value: String) -> String {
        guard value.contains("&") else { return value }
        let named = ["amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'"]
        var result = ""
        var rest = value[...]
        while let ampersand = rest.firstIndex(of: "&") {
            result += rest[..<ampersand]
            let afterAmpersand = rest.index(after: ampersand)
            guard let semicolon = rest[afterAmpersand...].prefix(10).firstIndex(of: ";") else {
                result += "&"
                rest = rest[afterAmpersand...]
                continue
            }
            let name = String(rest[afterAmpersand..<semicolon])
            var decoded: String?
            if name.hasPrefix("#x") || name.hasPrefix("#X") {
                decoded = UInt32(name.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init).map { String(Character($0)) }
            } else if name.hasPrefix("#") {
                decoded = UInt32(name.dropFirst(1)).flatMap(Unicode.Scalar.init).map { String(Character($0)) }
            } else {
                decoded = named[name]
            }
            if let decoded {
                result += decoded
                rest = rest[rest.index(after: semicolon)...]
            } else {
                result += "&"
                rest = rest[afterAmpersand...]
            }
        }
        return result + rest
    }
}
