import Foundation
import Testing
@testable import VarselCore

/// The calendar day of an instant in a zone, as the rules of dates and deadlines read it.
@Suite("Calendar day in a zone")
struct CalendarDayTests {
    @Test("today's date in a zone agrees with Foundation's Gregorian calendar on 20,000 seeded instants in zones with odd offsets and DST")
    func todayAgreesWithCalendar() {
        let zones = ["UTC", "Europe/Oslo", "Europe/Helsinki", "America/St_Johns", "Asia/Kathmandu", "Pacific/Kiritimati", "Pacific/Pago_Pago", "Australia/Lord_Howe"]
            .map { TimeZone(identifier: $0)! }
        var random = SeededRandom(seed: 2026)
        // 1900 to 2200, and the hour around each midnight and DST change where dates turn.
        for round in 0..<20_000 {
            var seconds = Double.random(in: -2_208_988_800...7_258_118_400, using: &random)
            if round % 4 == 0 { seconds = (seconds / 3600).rounded(.down) * 3600 + [0, -1, 1800, 0.5][(round / 4) % 4] }
            let date = Date(timeIntervalSince1970: seconds)
            let zone = zones[round % zones.count]
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = zone
            let parts = calendar.dateComponents([.year, .month, .day], from: date)
            let expected = CalendarDate(year: parts.year!, month: parts.month!, day: parts.day!)
            #expect(ValueRules.today(date, in: zone) == expected, "\(seconds) in \(zone.identifier)")
        }
    }
}
