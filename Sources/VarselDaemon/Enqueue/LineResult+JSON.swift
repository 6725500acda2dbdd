import VarselCore

/// The results of a batch as JSON, written by hand: `JSONEncoder` with sorted keys was 3.4 % of a
/// `varsel enqueue` of 30,000 lines, all of it after the last commit, when nothing else runs.
extension EnqueueBatch.LineResult {
    /// One result as `JSONEncoder` with `[.sortedKeys, .withoutEscapingSlashes]` writes it: members
    /// in key order, absent ones left out.
    func write(into writer: inout CompactJSONWriter) {
        var object = CompactJSONWriter.ObjectState()
        if let duplicate {
            writer.key("duplicate", &object)
            writer.bool(duplicate)
        }
        if let error {
            writer.key("error", &object)
            writer.string(error)
        }
        if let id {
            writer.key("id", &object)
            writer.string(id)
        }
        writer.key("line", &object)
        writer.integer(line)
        if let state {
            writer.key("state", &object)
            writer.string(state)
        }
        writer.end(object)
    }

    /// One line of JSON per result, each ending in a newline: what `varsel enqueue` prints.
    public static func ndjson(_ results: [Self]) -> [UInt8] {
        var writer = CompactJSONWriter(capacity: results.count * 64)
        for result in results {
            result.write(into: &writer)
            writer.newline()
        }
        return writer.bytes
    }

    /// The results as a JSON array.
    static func array(_ results: [Self], into writer: inout CompactJSONWriter) {
        writer.array(results) { writer, result in result.write(into: &writer) }
    }
}
