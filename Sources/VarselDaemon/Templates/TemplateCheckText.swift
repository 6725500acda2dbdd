import Foundation
import VarselCore
import VarselTemplates

extension VarselConfig {
    /// What the configuration tells the template check: where the locale fallback ends, the SMS
    /// length limit, and which channels each kind may use.
    public var templateCheckOptions: TemplateCheckOptions {
        TemplateCheckOptions(
            defaultLocale: templates.defaultLocale, localeAliases: planning.localeAliases, smsMaxParts: templates.smsMaxParts,
            allowedChannels: planning.kinds.compactMapValues(\.allowedChannels),
            extraLocales: Array(Set(planning.localeByCountry.values)).sorted(), experiments: planning.experiments)
    }

    /// Without a configuration file: the built-in defaults (`en`, 3 parts, the shipped kinds' channels).
    public static var defaultTemplateCheckOptions: TemplateCheckOptions {
        TemplateCheckOptions(
            allowedChannels: KindRule.shipped.compactMapValues(\.allowedChannels),
            extraLocales: Array(Set(PlanningPolicy.defaultLocaleByCountry.values)).sorted())
    }
}

/// `varsel templates check` as text: the SMS table and the coverage matrix for stdout, and every
/// problem as `file:line:column: severity: message` with the directory in front, for stderr.
public enum TemplateCheckText {
    public static func problems(_ problems: [TemplateProblem], directory: String) -> [String] {
        let prefix = directory.hasSuffix("/") ? directory : directory + "/"
        return problems.map { prefix + $0.description }
    }

    /// Each SMS with the sample data: encoding, length, segments.
    public static func smsTable(_ lines: [TemplateReport.SMSLine]) -> String {
        var rows = [["sms template", "encoding", "units", "segments", "first non-GSM-7 character"]]
        for line in lines.sorted(by: { ($0.key, $0.experiment ?? "") < ($1.key, $1.experiment ?? "") }) {
            let offender = line.encoding.firstNonGSM7.map {
                "'\($0.scalar)' U+\(String($0.scalar.value, radix: 16, uppercase: true).leftPadded(to: 4)) at \($0.offset + 1)"
            } ?? ""
            rows.append([line.key.description + (line.experiment.map { " variant \($0)" } ?? ""), line.encoding.scheme.rawValue, "\(line.encoding.units)", "\(line.encoding.segments)", offender])
        }
        return table(rows)
    }

    /// Per kind, one row per locale (with folders, and those configured per country) and a column per channel and tone: `=` when the locale's own
    /// variant is used, else the `locale/tone` a message falls back to; `-` where the kind is never
    /// sent by that channel; `none` where nothing resolves.
    public static func coverageMatrix(_ cells: [TemplateReport.CoverageCell]) -> String {
        var sections: [String] = []
        let kinds = Array(Set(cells.map(\.kind))).sorted()
        for kind in kinds {
            let mine = cells.filter { $0.kind == kind }
            let locales = Array(Set(mine.map(\.locale))).sorted()
            var header = ["\(kind)"]
            for channel in Channel.allCases { for tone in Tone.allCases { header.append("\(channel.rawValue)/\(tone.rawValue)") } }
            var rows = [header]
            for locale in locales {
                var row = [locale]
                for channel in Channel.allCases {
                    for tone in Tone.allCases {
                        guard let cell = mine.first(where: { $0.locale == locale && $0.channel == channel && $0.tone == tone }) else {
                            row.append("?")
                            continue
                        }
                        if !cell.allowed {
                            row.append("-")
                        } else if let resolved = cell.resolved {
                            row.append(resolved.locale == locale && resolved.tone == tone ? "=" : "\(resolved.locale)/\(resolved.tone.rawValue)")
                        } else {
                            row.append("none")
                        }
                    }
                }
                rows.append(row)
            }
            sections.append(table(rows))
        }
        return "coverage (= its own template, locale/tone = the fallback used, - = never sent by that channel):\n\n"
            + sections.joined(separator: "\n")
    }

    static func table(_ rows: [[String]]) -> String {
        guard let columns = rows.map(\.count).max() else { return "" }
        var widths = Array(repeating: 0, count: columns)
        for row in rows { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) } }
        return rows.map { row in
            row.enumerated().map { index, cell in index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }
}
