import Foundation

/// The JSON objects of NDJSON text (what `varsel enqueue` and similar commands print), one per line;
/// lines that are not a JSON object are skipped.
public func ndjsonObjects(_ text: some StringProtocol) -> [[String: Any]] {
    text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
}
