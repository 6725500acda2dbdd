import Foundation
import VarselCore

/// The status contract as JSON, and a human-readable rendering of it.
public enum StatusText {
    public static func json(_ status: MessageStatus, pretty: Bool = true) throws -> String {
        let encoder = VarselJSON.encoder()
        if pretty { encoder.outputFormatting.insert(.prettyPrinted) }
        return String(decoding: try encoder.encode(status), as: UTF8.self)
    }

    public static func human(_ status: MessageStatus, showContent: Bool = true) -> String {
        var lines: [String] = []
        lines.append("\(status.id)  \(status.state.rawValue)" + (status.reason.map { " — \($0)" } ?? ""))
        lines.append("  kind \(status.kind)" + (status.caseRef.map { ", case \($0)" } ?? ""))
        if let channel = status.channel {
            var route = "  \(channel.rawValue), locale \(status.locale ?? "?"), tone \(status.tone?.rawValue ?? "?")"
            if let sms = status.sms { route += ", \(sms.encoding.rawValue) \(sms.segments) segment\(sms.segments == 1 ? "" : "s")" }
            lines.append(route)
        }
        if let template = status.template { lines.append("  template \(template.id) \(template.version)") }
        if let next = status.nextAttemptAt { lines.append("  next attempt at \(RFC3339.format(next))") }
        lines.append("  decisions:")
        for decision in status.decisions { lines.append("    \(RFC3339.format(decision.at))  \(decision.text)") }
        if !status.attempts.isEmpty {
            lines.append("  attempts:")
            for attempt in status.attempts {
                var text = "    \(RFC3339.format(attempt.at))  \(attempt.channel.rawValue) via \(attempt.gateway): \(attempt.outcome.rawValue)"
                if let code = attempt.httpStatus { text += " HTTP \(code)" }
                if let id = attempt.providerID { text += " id \(id)" }
                if let latency = attempt.latencyMs { text += " \(latency) ms" }
                if let error = attempt.error { text += " (\(error))" }
                lines.append(text)
            }
        }
        if !status.receipts.isEmpty {
            lines.append("  receipts:")
            for receipt in status.receipts {
                lines.append("    \(RFC3339.format(receipt.at))  \(receipt.status) from \(receipt.source)" + (receipt.providerID.map { " id \($0)" } ?? ""))
            }
        }
        if showContent, let content = status.content {
            if let subject = content.subject { lines.append("  subject: \(subject)") }
            lines.append("  text:")
            for line in content.text.split(separator: "\n", omittingEmptySubsequences: false).prefix(40) { lines.append("    | \(line)") }
        }
        return lines.joined(separator: "\n")
    }
}
