import Foundation
import VarselCore

/// The outcome report as JSON (the API's answer), a table for a terminal, or an HTML page with tables
/// and SVG charts a person reads at a glance.
enum OutcomeFormat {
    static func object(_ rows: [OutcomeRow], query: OutcomeQuery) -> [String: Any] {
        var object: [String: Any] = [
            "by": query.dimensions.map(\.rawValue), "paid_within_days": query.paidWithinDays, "attribution": query.attribution.rawValue,
            "from": RFC3339.format(query.from), "to": RFC3339.format(query.to),
            "rows": rows.map { row in
                var object: [String: Any] = row.keys
                object["messages"] = row.messages
                object["cases"] = row.cases
                object["paid"] = row.paid
                object["rate"] = rounded(row.rate)
                object["rate_low"] = rounded(row.rateLow)
                object["rate_high"] = rounded(row.rateHigh)
                object["median_days_to_pay"] = row.medianDaysToPay.map(rounded) ?? NSNull()
                return object
            },
        ]
        if query.dimensions.contains(.variant) {
            object["comparisons"] = OutcomeReport.variantComparisons(rows).map { comparison in
                var entry: [String: Any] = comparison.keys
                entry["variant"] = comparison.variant
                entry["against"] = comparison.against
                entry["rate"] = rounded(rate(of: comparison.variant, in: rows, keys: comparison.keys))
                entry["against_rate"] = rounded(rate(of: comparison.against, in: rows, keys: comparison.keys))
                entry["difference"] = comparison.test.map { rounded($0.difference) } ?? NSNull()
                entry["z"] = comparison.test.map { rounded($0.z) } ?? NSNull()
                entry["p_value"] = comparison.test.map(\.pValue) ?? NSNull()
                entry["significant"] = comparison.significant
                entry["verdict"] = comparison.verdict
                return entry
            }
        }
        return object
    }

    /// The rate of `variant`'s row in the group `keys`.
    private static func rate(of variant: String, in rows: [OutcomeRow], keys: [String: String]) -> Double {
        rows.first { row in row.keys[OutcomeDimension.variant.rawValue] == variant && keys.allSatisfy { row.keys[$0.key] == $0.value } }?.rate ?? 0
    }

    /// The comparisons' verdicts as lines, each with its group: what a table or page says under the figures.
    static func comparisonLines(_ rows: [OutcomeRow]) -> [String] {
        OutcomeReport.variantComparisons(rows).map { comparison in
            let group = comparison.keys.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            return (group.isEmpty ? "" : group + ": ") + comparison.verdict
        }
    }

    static func table(_ rows: [OutcomeRow], query: OutcomeQuery) -> String {
        let keys = query.dimensions.map(\.rawValue)
        let header = keys + ["messages", "cases", "paid", "rate", "95% interval", "median days"]
        let body = rows.map { row in
            keys.map { row.keys[$0] ?? "-" } + [
                "\(row.messages)", "\(row.cases)", "\(row.paid)", percent(row.rate), "\(percent(row.rateLow))–\(percent(row.rateHigh))",
                row.medianDaysToPay.map { String(format: "%.1f", $0) } ?? "-",
            ]
        }
        let widths = header.indices.map { column in ([header] + body).map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                let pad = String(repeating: " ", count: widths[index] - cell.count)
                return index < keys.count ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }
        let title = "outcomes \(RFC3339.format(query.from)) – \(RFC3339.format(query.to)): cases paid within \(query.paidWithinDays) days, credited to the \(query.attribution == .last ? "last message before the payment" : "messages before the payment")"
        let comparisons = query.dimensions.contains(.variant) ? ["", "variants (two-proportion z-test, two-sided, 5 %):"] + comparisonLines(rows).map { "  " + $0 } : []
        return ([title, line(header)] + body.map(line) + (comparisons.count > 2 ? comparisons : [])).joined(separator: "\n")
    }

    /// A page: the report's table, and charts of the rate by hour, by channel and by variant.
    static func html(_ rows: [OutcomeRow], query: OutcomeQuery, charts: [(title: String, dimension: OutcomeDimension, rows: [OutcomeRow])]) -> String {
        let keys = query.dimensions.map(\.rawValue)
        var page = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>Varsel outcomes</title>
            <style>body{font-family:system-ui,sans-serif;margin:24px;color:#1a1a1a}table{border-collapse:collapse;margin:12px 0 28px}
            th,td{padding:4px 10px;border-bottom:1px solid #ddd;text-align:right}th:first-child,td.key{text-align:left}
            h2{font-size:1.1em;margin-top:28px}.note{color:#555}</style></head><body>
            <h1>Outcomes</h1>
            <p class="note">Sends from \(escape(RFC3339.format(query.from))) to \(escape(RFC3339.format(query.to))); a case counts as paid when it is paid within \(query.paidWithinDays) days after the message the payment is credited to (\(query.attribution == .last ? "the last one before the payment" : "every one before the payment")). Intervals are 95 % Wilson intervals.</p>
            <table><thead><tr>
            """
        page += (keys + ["messages", "cases", "paid", "rate", "95 % interval", "median days to pay"]).map { "<th>\(escape($0))</th>" }.joined()
        page += "</tr></thead><tbody>\n"
        for row in rows {
            page += "<tr>" + keys.map { "<td class=\"key\">\(escape(row.keys[$0] ?? "-"))</td>" }.joined()
            page += "<td>\(row.messages)</td><td>\(row.cases)</td><td>\(row.paid)</td><td>\(percent(row.rate))</td>"
            page += "<td>\(percent(row.rateLow))–\(percent(row.rateHigh))</td><td>\(row.medianDaysToPay.map { String(format: "%.1f", $0) } ?? "–")</td></tr>\n"
        }
        page += "</tbody></table>\n"
        for chart in charts {
            page += "<h2>\(escape(chart.title))</h2>\n" + svg(chart.rows, dimension: chart.dimension) + "\n"
            if chart.dimension == .variant {
                page += comparisonLines(chart.rows).map { "<p class=\"note\">\(escape($0))</p>\n" }.joined()
            }
        }
        return page + "</body></html>\n"
    }

    /// Bars of the rate per group, with the interval as a whisker and the group's size under it.
    static func svg(_ rows: [OutcomeRow], dimension: OutcomeDimension) -> String {
        guard !rows.isEmpty else { return "<p class=\"note\">No sends in the period.</p>" }
        let bar = 28.0, gap = 10.0, height = 160.0, top = 16.0, left = 40.0
        let width = left + Double(rows.count) * (bar + gap) + gap
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height + top + 44))\" role=\"img\" aria-label=\"rate by \(dimension.rawValue)\">"
        for tick in [0.0, 0.5, 1.0] {
            let y = top + height * (1 - tick)
            svg += "<line x1=\"\(left - 4)\" y1=\"\(y)\" x2=\"\(width)\" y2=\"\(y)\" stroke=\"#ddd\"/><text x=\"\(left - 6)\" y=\"\(y + 4)\" font-size=\"10\" text-anchor=\"end\">\(Int(tick * 100))%</text>"
        }
        for (index, row) in rows.enumerated() {
            let x = left + gap + Double(index) * (bar + gap)
            let barHeight = height * row.rate
            svg += "<rect x=\"\(x)\" y=\"\(top + height - barHeight)\" width=\"\(bar)\" height=\"\(barHeight)\" fill=\"#3b7dd8\"><title>\(escape(row.keys[dimension.rawValue] ?? "-")): \(percent(row.rate)) of \(row.cases) cases</title></rect>"
            let (low, high) = (top + height * (1 - row.rateHigh), top + height * (1 - row.rateLow))
            svg += "<line x1=\"\(x + bar / 2)\" y1=\"\(low)\" x2=\"\(x + bar / 2)\" y2=\"\(high)\" stroke=\"#1a1a1a\"/>"
            svg += "<text x=\"\(x + bar / 2)\" y=\"\(top + height + 14)\" font-size=\"10\" text-anchor=\"middle\">\(escape(row.keys[dimension.rawValue] ?? "-"))</text>"
            svg += "<text x=\"\(x + bar / 2)\" y=\"\(top + height + 28)\" font-size=\"9\" fill=\"#555\" text-anchor=\"middle\">n=\(row.cases)</text>"
        }
        return svg + "</svg>"
    }

    static func percent(_ value: Double) -> String { String(format: "%.1f%%", value * 100) }
    static func rounded(_ value: Double) -> Double { (value * 10_000).rounded() / 10_000 }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
    }
}
