import Foundation

/// The tables `varsel bench --gateway` prints: one row per figure with its value, unit, ratio to the
/// ceiling of the same run (dispatch rates only: the ceiling is a rate of sends) and the target the
/// project set for it (issue 16), marked met or not.
enum WireBenchTable {
    /// A figure's target.
    enum Target: Sendable {
        /// At least this value, in the row's unit.
        case atLeast(Double)
        /// At most this value, in the row's unit.
        case atMost(Double)
        /// At least this share of the ceiling.
        case ratioAtLeast(Double)

        func text(unit: String) -> String {
            switch self {
            case .atLeast(let value) where unit == "×": "≥ \(WireBenchTable.number(value, digits: 0)) ×"
            case .atLeast(let value): "≥ \(WireBenchTable.number(value, digits: 0)) \(unit)"
            case .atMost(let value): "≤ \(WireBenchTable.number(value, digits: 0)) \(unit)"
            case .ratioAtLeast(let share): "≥ \(WireBenchTable.number(share * 100, digits: 0)) % of ceiling"
            }
        }

        func isMet(by row: Row) -> Bool {
            switch self {
            case .atLeast(let value): row.value >= value
            case .atMost(let value): row.value <= value
            case .ratioAtLeast(let share): (row.ratio ?? 0) >= share
            }
        }
    }

    struct Row: Sendable {
        let figure: String
        let value: Double
        let unit: String
        /// Decimals shown.
        var digits = 0
        /// Share of the ceiling (1 = the ceiling).
        var ratio: Double?
        var target: Target?
    }

    /// The rows of one run, in the order they are printed (the same for every run, so rows can be
    /// matched up for the medians).
    static func rows(_ figures: WireBench.RunFigures, options: WireBench.Options) -> [Row] {
        var rows = [Row(figure: "ceiling: raw libcurl POSTs to /sms, \(options.inFlight) in flight", value: figures.ceiling, unit: "req/s", ratio: 1)]
        for mix in figures.mixes {
            let name = mix.mix.rawValue
            rows += [
                Row(figure: "enqueue \(name): varsel enqueue FILE", value: mix.enqueueRate, unit: "msg/s", target: .atLeast(50_000)),
                Row(
                    figure: "dispatch \(name): varsel serve, listening to all sent", value: mix.dispatchRate, unit: "msg/s",
                    ratio: mix.dispatchRate / figures.ceiling, target: .ratioAtLeast(mix.mix == .sms ? 0.30 : 0.25)),
                Row(figure: "dispatch \(name): messages sent", value: Double(mix.sent), unit: "of \(number(Double(mix.messages), digits: 0))"),
                Row(figure: "dispatch \(name): CPU (user + system) per message", value: mix.cpuMicrosecondsPerMessage, unit: "µs/msg", digits: 1),
                // A send holds one of its gateway's slots (twice its connections) from the commit
                // that opens its attempt to the answer: these two are that time.
                Row(
                    figure: "dispatch \(name): a send's slot held before its request went to the HTTP client, mean", value: mix.heldBeforeSendingSeconds * 1000,
                    unit: "ms", digits: 2),
                Row(figure: "dispatch \(name): then until the gateway's answer, mean", value: mix.answerSeconds * 1000, unit: "ms", digits: 2),
                Row(
                    figure: "dispatch \(name): peak RSS of varsel serve", value: Double(mix.peakResidentBytes) / 1_048_576, unit: "MiB", digits: 1,
                    target: .atMost(64)),
                // The rest of the RSS is mapped code (the executable, Swift's runtime, Foundation with
                // its ICU data, libcurl, SQLite), shared with every process that maps the same files.
                Row(
                    figure: "dispatch \(name): of which anonymous (RssAnon), peak", value: Double(mix.peakAnonymousBytes) / 1_048_576, unit: "MiB",
                    digits: 1),
            ]
        }
        if let postgres = figures.postgres {
            let name = postgres.mix.rawValue
            rows += [
                Row(figure: "enqueue \(name) on PostgreSQL: varsel enqueue FILE", value: postgres.enqueueRate, unit: "msg/s"),
                Row(
                    figure: "dispatch \(name) on PostgreSQL: varsel serve, listening to all sent", value: postgres.dispatchRate, unit: "msg/s",
                    ratio: postgres.dispatchRate / figures.ceiling),
                Row(figure: "dispatch \(name) on PostgreSQL: CPU of varsel serve per message", value: postgres.cpuMicrosecondsPerMessage, unit: "µs/msg", digits: 1),
            ]
            if let sqlite = figures.mixes.first(where: { $0.mix == postgres.mix }) {
                rows.append(Row(
                    figure: "dispatch \(name): rate on PostgreSQL / on SQLite", value: postgres.dispatchRate / sqlite.dispatchRate * 100, unit: "%",
                    target: .atLeast(40)))
            }
        }
        if let deep = figures.deep {
            let queued = number(Double(deep.messages), digits: 0)
            let name = deep.mix.rawValue
            let shallow = figures.mixes.first { $0.mix == deep.mix }
            rows += [
                Row(figure: "enqueue \(name), \(queued) messages: varsel enqueue FILE", value: deep.enqueueRate, unit: "msg/s"),
                Row(
                    figure: "dispatch \(name) with \(queued) queued: first \(number(Double(options.messages), digits: 0)) sends", value: deep.dispatchRate,
                    unit: "msg/s", ratio: deep.dispatchRate / figures.ceiling),
                Row(figure: "dispatch \(name) with \(queued) queued: CPU per message", value: deep.cpuMicrosecondsPerMessage, unit: "µs/msg", digits: 1),
                Row(
                    figure: "dispatch \(name) with \(queued) queued: peak RSS of varsel serve", value: Double(deep.peakResidentBytes) / 1_048_576,
                    unit: "MiB", digits: 1, target: .atMost(64)),
            ]
            if let shallow {
                // Flat in queue depth: the deep queue's rate within 10 % of the shallow one's, same run.
                rows.append(Row(
                    figure: "dispatch \(name): rate with \(queued) queued / with \(number(Double(options.messages), digits: 0))",
                    value: deep.dispatchRate / shallow.dispatchRate * 100, unit: "%", target: .atLeast(90)))
            }
        }
        if let http = figures.http {
            rows += [
                Row(figure: "POST /v1/messages, 32 connections", value: http.singleRate, unit: "req/s", target: .atLeast(5_000)),
                Row(figure: "POST /v1/messages, p99 latency", value: http.singleP99Seconds * 1000, unit: "ms", digits: 1),
                Row(figure: "POST /v1/messages:batch, 1,000 lines, 4 clients", value: http.batchRate, unit: "msg/s", target: .atLeast(50_000)),
            ]
        }
        for latency in figures.latencies {
            let name = "latency at \(number(Double(latency.offered), digits: 0)) msg/s offered"
            rows += [
                Row(figure: "\(name): messages POSTed a second", value: latency.postedRate, unit: "msg/s"),
                Row(figure: "\(name): enqueue → gateway p50", value: latency.p50 * 1000, unit: "ms", digits: 1),
                // The bound holds at 2,000 msg/s, and so at every lower rate.
                Row(
                    figure: "\(name): enqueue → gateway p99", value: latency.p99 * 1000, unit: "ms", digits: 1,
                    target: latency.offered <= 2_000 ? .atMost(25) : nil),
                Row(figure: "\(name): enqueue → gateway max", value: latency.max * 1000, unit: "ms", digits: 1),
            ]
        }
        if let varsel = figures.mixes.first {
            for peer in figures.peers {
                rows += [
                    Row(figure: "peer \(peer.peer.name): its rate", value: peer.rate, unit: "msg/s"),
                    Row(
                        figure: "dispatch \(varsel.mix.rawValue) / peer \(peer.peer.name)", value: varsel.dispatchRate / peer.rate, unit: "×",
                        digits: 1, target: peer.peer.target.map { .atLeast($0) }),
                ]
            }
        }
        return rows
    }

    /// Row by row, the median of the values and of the ratios of several runs' rows.
    static func medians(_ tables: [[Row]]) -> [Row] {
        guard let first = tables.first else { return [] }
        return first.indices.map { index in
            let row = first[index]
            let ratios = tables.compactMap { $0[index].ratio }
            return Row(
                figure: row.figure, value: median(tables.map { $0[index].value }), unit: row.unit, digits: row.digits,
                ratio: ratios.isEmpty ? nil : median(ratios), target: row.target)
        }
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// The title, a header, a line per row, then the notes.
    static func render(title: String, rows: [Row], notes: [String]) -> String {
        let header = ["figure", "value", "unit", "ratio", "target"]
        let cells = rows.map { row in
            [
                row.figure, number(row.value, digits: row.digits), row.unit,
                row.ratio.map { number($0 * 100, digits: $0 >= 0.1 ? 0 : 1) + " %" } ?? "-",
                row.target.map { "\($0.text(unit: row.unit)): \($0.isMet(by: row) ? "met" : "not met")" } ?? "-",
            ]
        }
        let widths = header.indices.map { column in ([header] + cells).map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.indices.map { column in
                let padding = String(repeating: " ", count: widths[column] - cells[column].count)
                // Numbers to the right, words to the left.
                return column == 1 || column == 3 ? padding + cells[column] : cells[column] + padding
            }.joined(separator: " | ").trimmingCharacters(in: .whitespaces)
        }
        var lines = [title, line(header), widths.map { String(repeating: "-", count: $0) }.joined(separator: "-|-")]
        lines += cells.map(line)
        lines += notes.map { "note: \($0)" }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `value` with `digits` decimals and thousands grouped by commas (51,064).
    static func number(_ value: Double, digits: Int) -> String {
        guard value.isFinite else { return "n/a" }
        let text = String(format: "%.\(digits)f", value)
        let parts = text.split(separator: ".", maxSplits: 1)
        var whole = String(parts[0])
        let negative = whole.hasPrefix("-")
        if negative { whole.removeFirst() }
        var grouped = ""
        for (offset, character) in whole.enumerated() {
            if offset > 0, (whole.count - offset) % 3 == 0 { grouped.append(",") }
            grouped.append(character)
        }
        return (negative ? "-" : "") + grouped + (parts.count > 1 ? "." + parts[1] : "")
    }
}
