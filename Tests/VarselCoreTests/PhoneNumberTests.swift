import Testing
@testable import VarselCore

/// E.164 phone numbers: shape, calling code and plausible national number length.
@Suite("Phone numbers")
struct PhoneNumberTests {
    @Test(
        "valid E.164 numbers split into calling code and national number",
        arguments: [
            ("+4791234567", "47", "91234567"),  // NO, 8 digits
            ("+46701234567", "46", "701234567"),  // SE
            ("+4520123456", "45", "20123456"),  // DK
            ("+358401234567", "358", "401234567"),  // FI, 3-digit code
            ("+4915112345678", "49", "15112345678"),  // DE
            ("+919812345678", "91", "9812345678"),  // IN
            ("+14155552671", "1", "4155552671"),  // US, 1-digit code
        ])
    func validNumbers(text: String, callingCode: String, national: String) throws {
        #expect(PhoneNumber.hasE164Shape(text))
        let number = try PhoneNumber.parse(text).get()
        #expect(number.callingCode == callingCode)
        #expect(number.nationalNumber == national)
        #expect(number.description == text)
    }

    @Test(
        "text that is not '+', a non-zero digit and at most 15 digits is not E.164",
        arguments: [
            "4791234567",  // no plus
            "004791234567",  // international prefix instead of plus
            "+47 91234567",  // space
            "+47-912-34-567",  // dashes
            "+47912345ab",  // letters
            "+04791234567",  // leading zero after plus
            "+1234567890123456",  // 16 digits
            "+",  // nothing after the plus
            "+4",  // a single digit
            "",
            "+４７91234567",  // full-width digits
        ])
    func notE164(text: String) {
        #expect(!PhoneNumber.hasE164Shape(text))
        #expect(PhoneNumber.parse(text) == .failure(.notE164))
    }

    @Test("15 digits is the longest E.164 shape")
    func fifteenDigitsIsTheLimit() {
        #expect(PhoneNumber.hasE164Shape("+123456789012345"))
        #expect(!PhoneNumber.hasE164Shape("+1234567890123456"))
    }

    @Test(
        "a Norwegian number needs exactly 8 digits after +47",
        arguments: [("+471234567", 7), ("+47912345678", 9)])
    func norwegianLengthIsChecked(text: String, digits: Int) throws {
        #expect(PhoneNumber.hasE164Shape(text), "the shape alone is fine")
        let result = PhoneNumber.parse(text)
        #expect(result == .failure(.implausibleLength(callingCode: "47", digits: digits, expected: [8])))
        guard case .failure(let problem) = result else {
            Issue.record("expected a failure for \(text)")
            return
        }
        let message = problem.description
        #expect(message.contains("+47"))
        #expect(message.contains("\(digits) digits"))
        #expect(message.contains("expected 8"))
    }

    @Test("the expected length names a range when the lengths are contiguous")
    func expectedLengthRange() throws {
        // Sweden: national numbers of 7, 8 or 9 digits; 6 is too short.
        guard case .failure(let problem) = PhoneNumber.parse("+46123456") else {
            Issue.record("a 6-digit Swedish number must be refused")
            return
        }
        #expect(problem.description.contains("6 digits"))
        #expect(problem.description.contains("expected 7–9"))
    }

    @Test("the expected length lists alternatives when they are not contiguous")
    func expectedLengthAlternatives() throws {
        // Netherlands: 9 or 11 digits.
        guard case .failure(let problem) = PhoneNumber.parse("+311234567890") else {
            Issue.record("a 10-digit Dutch number must be refused")
            return
        }
        #expect(problem.description.contains("expected 9 or 11"))
    }

    @Test("an unknown calling code is refused although the shape is E.164", arguments: ["+999123456789", "+2101234567"])
    func unknownCallingCode(text: String) {
        #expect(PhoneNumber.hasE164Shape(text))
        #expect(PhoneNumber.parse(text) == .failure(.unknownCallingCode))
    }

    @Test("hasE164Shape checks only the shape; parse also checks the numbering plan")
    func shapeVersusParse() throws {
        let tooShortForNorway = "+4712345"
        #expect(PhoneNumber.hasE164Shape(tooShortForNorway))
        #expect(throws: PhoneNumber.Problem.self) { try PhoneNumber.parse(tooShortForNorway).get() }
    }

    @Test(
        "regions map to their calling codes, case-insensitively",
        arguments: [("NO", "47"), ("se", "46"), ("DK", "45"), ("FI", "358"), ("US", "1"), ("IN", "91")])
    func callingCodeForRegion(region: String, code: String) {
        #expect(PhoneNumber.callingCode(forRegion: region) == code)
    }

    @Test("an unknown region has no calling code")
    func unknownRegion() {
        #expect(PhoneNumber.callingCode(forRegion: "XX") == nil)
    }
}
