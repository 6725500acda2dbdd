import Foundation
import VarselCore
import VarselStore

/// `GET /v1/reports/outcomes` and `varsel report outcomes`: what to group by, the payment window,
/// the period of sends and the attribution, read from query parameters with errors naming them.
struct OutcomeQuery: Sendable {
    var dimensions: [OutcomeDimension] = [.channel]
    var paidWithinDays = 14
    var from: Date
    var to: Date
    var attribution: Attribution = .last

    static let defaultPeriod: TimeInterval = 90 * 86_400

    /// Parameters as given (`by`, `paid_within_days`, `from`, `to`, `attribution`); `from`/`to` are
    /// RFC 3339 timestamps or dates (a date's day in UTC, `to` inclusive).
    static func parse(_ parameters: [String: String], now: Date) -> Result<OutcomeQuery, ValidationFailure> {
        var errors: [ValidationError] = []
        var query = OutcomeQuery(from: now.addingTimeInterval(-defaultPeriod), to: now)
        var fromGiven = false
        for key in parameters.keys.sorted() where !["by", "paid_within_days", "from", "to", "attribution"].contains(key) {
            errors.append(ValidationError(field: key, problem: "unknown parameter; use by, paid_within_days, from, to, attribution"))
        }
        if let by = parameters["by"] {
            var dimensions: [OutcomeDimension] = []
            for name in by.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
                if let dimension = OutcomeDimension(rawValue: name) {
                    if !dimensions.contains(dimension) { dimensions.append(dimension) }
                } else {
                    errors.append(ValidationError(field: "by", problem: "'\(name)' is not a dimension; use \(OutcomeDimension.allCases.map(\.rawValue).joined(separator: ", "))"))
                }
            }
            if dimensions.isEmpty, errors.isEmpty { errors.append(ValidationError(field: "by", problem: "name at least one dimension")) }
            query.dimensions = dimensions
        }
        if let text = parameters["paid_within_days"] {
            if let days = Int(text), (1...365).contains(days) { query.paidWithinDays = days } else {
                errors.append(ValidationError(field: "paid_within_days", problem: "expected a whole number of days from 1 to 365"))
            }
        }
        for (key, isEnd) in [("from", false), ("to", true)] {
            guard let text = parameters[key] else { continue }
            if !isEnd { fromGiven = true }
            if let stamp = RFC3339.parseTimestamp(text) {
                if isEnd { query.to = stamp } else { query.from = stamp }
            } else if let date = RFC3339.parseDate(text) {
                let start = Date(timeIntervalSince1970: Double(date.dayNumber) * 86_400)
                if isEnd { query.to = start.addingTimeInterval(86_400) } else { query.from = start }
            } else {
                errors.append(ValidationError(field: key, problem: "expected a date (2026-11-01) or an RFC 3339 timestamp"))
            }
        }
        // Without `from`, the 90 days before `to`; without `to`, now, or 90 days after a later `from`.
        if !fromGiven { query.from = query.to.addingTimeInterval(-defaultPeriod) }
        if parameters["to"] == nil, query.from >= query.to { query.to = query.from.addingTimeInterval(defaultPeriod) }
        if query.from >= query.to, errors.isEmpty { errors.append(ValidationError(field: "from", problem: "must be before to")) }
        if let text = parameters["attribution"] {
            if let attribution = Attribution(rawValue: text) { query.attribution = attribution } else {
                errors.append(ValidationError(field: "attribution", problem: "use last or all"))
            }
        }
        return errors.isEmpty ? .success(query) : .failure(ValidationFailure(errors))
    }

    /// The sends of the period, the payments of their cases, and the report's rows by `dimensions`.
    func run(_ store: any MessageStore, by dimensions: [OutcomeDimension]? = nil) async throws -> [OutcomeRow] {
        let messages = try await store.sentMessages(from: from, to: to)
        let events = try await store.caseEvents(caseRefs: Set(messages.compactMap(\.caseRef)))
        return OutcomeReport.rows(
            messages: messages, payments: OutcomeReport.payments(events), by: dimensions ?? self.dimensions, paidWithinDays: paidWithinDays,
            attribution: attribution)
    }
}

extension CommandActions {
    /// `varsel report outcomes` on the local store: `format` is table, json or html.
    public static func outcomeReport(parameters: [String: String], format: String, config: VarselConfig) async throws -> String {
        let query: OutcomeQuery
        switch OutcomeQuery.parse(parameters, now: Date()) {
        case .success(let parsed): query = parsed
        case .failure(let failure): throw CommandError(failure.errors.map { "--\($0.field.replacingOccurrences(of: "_", with: "-")): \($0.problem)" }.joined(separator: "; "))
        }
        guard ["table", "json", "html"].contains(format) else { throw CommandError("--format: use table, json or html") }
        return try await withStore(config) { store in
            let rows = try await query.run(store)
            switch format {
            case "json": return try CaseEventReply.text(OutcomeFormat.object(rows, query: query))
            case "html":
                var charts: [(title: String, dimension: OutcomeDimension, rows: [OutcomeRow])] = []
                for (title, dimension) in [("Rate by hour of the send (the debtor's time)", OutcomeDimension.hour), ("Rate by channel", .channel), ("Rate by variant", .variant)] {
                    charts.append((title, dimension, try await query.run(store, by: [dimension])))
                }
                return OutcomeFormat.html(rows, query: query, charts: charts)
            default: return OutcomeFormat.table(rows, query: query)
            }
        }
    }
}
