/// Collects the header fields of the final response from the header lines libcurl reports.
///
/// libcurl calls its header callback once per line, for every response it reads on the way
/// to the final one (`1xx` interim responses, proxy `CONNECT` replies). A status line
/// (`HTTP/...`) therefore starts over, so only the last response's fields remain.
/// Obsolete folded continuation lines are joined to the previous field with one space.
struct ResponseHeaderCollector {
    /// The fields collected since the last status line, in received order.
    private(set) var headers: [HTTPHeader] = []

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
            headers.removeAll(keepingCapacity: true)
            return true
        }
        if let first = line.first, first == 0x20 || first == 0x09 {
            if !headers.isEmpty {
                let more = Self.trimmed(line)
                headers[headers.count - 1].value += headers[headers.count - 1].value.isEmpty ? more : " " + more
            }
            return false
        }
        guard let colon = line.firstIndex(of: 0x3A) else {
            return false  // not a field line
        }
        let name = Self.trimmed(line[..<colon])
        let value = Self.trimmed(line[line.index(after: colon)...])
        headers.append(HTTPHeader(name: name, value: value))
        return false
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
