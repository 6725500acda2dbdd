import Foundation
import Testing
import VarselCore
@testable import VarselDaemon
import VarselTestSupport

/// The references and account numbers Varsel ships (template samples, deploy examples, the demo)
/// pass their own check digits: an operator copying one must not start from a typo.
@Suite struct ShippedReferencesTests {
    /// Every `data` object Varsel ships, by where it comes from.
    static func shippedData() throws -> [(source: String, data: [String: JSONValue])] {
        var found: [(String, [String: JSONValue])] = []
        func add(_ source: String, _ json: Data) throws {
            guard case .object(let root) = try JSONDecoder().decode(JSONValue.self, from: json) else { return }
            if case .object(let data)? = root["data"] { found.append((source, data)) }
        }
        for folder in [Paths.templates + "/_samples", Paths.packageRoot.appendingPathComponent("deploy/examples").path] {
            for name in try FileManager.default.contentsOfDirectory(atPath: folder).sorted() where name.hasSuffix(".json") {
                try add(name, try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name)))
            }
        }
        for demo in DemoMessages.cases() { try add("demo: \(demo.title)", Data(demo.json.utf8)) }
        return found
    }

    @Test("every shipped KID, OCR and Bankgiro or account number passes its check digit")
    func shippedReferencesAreValid() throws {
        let shipped = try Self.shippedData()
        #expect(shipped.count >= 10)
        var checked = 0
        for (source, data) in shipped {
            let currency = data["currency"]?.scalarText
            let digits = { (text: String) in text.filter(\.isNumber) }
            if let reference = data["payment_reference"]?.scalarText {
                checked += 1
                switch currency {
                case "NOK":
                    #expect(CheckDigits.isValidLuhn(reference) || CheckDigits.isValidKIDMod11(reference), "\(source): KID \(reference)")
                case "SEK":
                    #expect(CheckDigits.isValidLuhn(reference), "\(source): OCR \(reference)")
                default:
                    break
                }
            }
            if let account = data["account_number"]?.scalarText {
                checked += 1
                if account.hasPrefix("Bankgiro") {
                    #expect(CheckDigits.isValidLuhn(digits(account)), "\(source): \(account)")
                } else if currency == "NOK" {
                    #expect(CheckDigits.isValidNorwegianAccount(digits(account)), "\(source): account \(account)")
                }
            }
            if let payment = data["payment"] {
                checked += 1
                #expect(throws: Never.self, "\(source)") { try PaymentValidation.parse(payment).get() }
            }
        }
        #expect(checked >= 5, "the samples carry references to check")
    }
}
