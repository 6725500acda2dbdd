/// Collects the header block of the final response from the header lines libcurl reports.
///
/// libcurl calls its header callback once per line, for every response it reads on the way
/// to the final one (`1xx` interim responses, proxy `CONNECT` replies). A status line
/// (`HTTP/...`) therefore starts over, so only the last response's lines remain.
///
/// The lines are kept as bytes, one after another, and made into fields only when asked
/// (``fields(of:)``): the curl thread reads every answer's headers, and a sent message's answer
/// is almost never asked for one (a failure's `Retry-After`, one provider's message id).
struct ResponseHeaderCollector {
    /// The field lines since the last status line, in received order, each without its line break
    /// and ending in a line feed.
    private(set) var block: [UInt8] = []

    /// The fields collected since the last status line, in received order.
    var headers: [HTTPHeader] { Self.fields(of: block) }

    /// Consumes one raw header line (with or without its CRLF).
    /// Returns true when the line was a status line, i.e. a new response began.
    mutating func consume(_ rawLine: UnsafeRawBufferPointer) -> Bool {
        var line = rawLine[...]
        while let last = line.last, last == 0x0A || last == 0x0D {
            line = line.dropLast()
        }
        if line.isEmpty {
            return false  // end of a header block
        }
        if line.starts(with: "HTTP/".utf8) {
            block.removeAll(keepingCapacity: true)
            return true
        }
        block.append(contentsOf: line)
        block.append(0x0A)
        return false
    }

    /// The fields of a header block as ``consume(_:)`` keeps it: lines without a colon are no field
    /// and are skipped; obsolete folded continuation lines are joined to the field before with one
    /// space; names keep the server's spelling, values lose HTTP's optional white space around them.
    static func fields(of block: [UInt8]) -> [HTTPHeader] {
        var headers: [HTTPHeader] = []
        block.withUnsafeBytes { bytes in
            var start = 0
            while start < bytes.count {
                let end = bytes[start...].firstIndex(of: 0x0A) ?? bytes.count
                let line = bytes[start..<end]
                start = end + 1
                if let first = line.first, first == 0x20 || first == 0x09 {
                    if !headers.isEmpty {
                        let more = trimmed(line)
                        headers[headers.count - 1].value += headers[headers.count - 1].value.isEmpty ? more : " " + more
                    }
                    continue
                }
                guard let colon = line.firstIndex(of: 0x3A) else { continue }  // not a field line
                headers.append(HTTPHeader(name: trimmed(line[..<colon]), value: trimmed(line[(colon + 1)...])))
            }
        }
        return headers
    }

    /// The text of `bytes` without leading and trailing spaces and horizontal tabs (HTTP's optional
    /// white space), trimmed before it is decoded.
    private static func trimmed(_ bytes: Slice<UnsafeRawBufferPointer>) -> String {
        var bytes = bytes
        while let first = bytes.first, first == 0x20 || first == 0x09 { bytes = bytes.dropFirst() }
        while let last = bytes.last, last == 0x20 || last == 0x09 { bytes = bytes.dropLast() }
        return String(decoding: bytes, as: UTF8.self)
    }
}
