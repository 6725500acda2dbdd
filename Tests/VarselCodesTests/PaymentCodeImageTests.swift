import Foundation
import Testing
@testable import VarselCodes
import VarselCore
import VarselTestSupport

/// The images of payment codes, read back with an independent decoder (zbarimg) and compared with
/// what went in: the EPC QR code byte for byte, the Finnish bank barcode digit for digit.
@Suite("Payment code images")
struct PaymentCodeImageTests {
    static func payment(_ scheme: PaymentScheme, _ reference: String?, iban: String, bic: String? = nil) -> PaymentDetails {
        PaymentDetails(scheme: scheme, reference: reference, iban: iban, bic: bic)
    }

    static func due(_ cents: Int?, _ date: CalendarDate? = CalendarDate(year: 2026, month: 12, day: 8)) -> PaymentDue {
        PaymentDue(currency: "EUR", cents: cents, date: date)
    }

    // MARK: - EPC QR code

    static let epcPayloads: [EPCQRPayload] = [
        // A Finnish reference, converted to its RF form, in the structured field; a BIC.
        EPCQRPayload(payment: payment(.fiRef, "1511890656", iban: "FI2112345600000785", bic: "NDEAFIHH"), due: due(128_500), beneficiary: "Fjordkraft AS")!,
        // Letters of two bytes in the name, an unstructured message, no BIC.
        EPCQRPayload(
            payment: payment(.ibanOnly, "Lasku 10023 – Ääneväen Sähkö", iban: "DE89370400440532013000"), due: due(99_999_999_999),
            beneficiary: "Ääneväen Sähkö Oy")!,
        // The largest payload: a 70-character name of two-byte letters and a 140-character message,
        // shortened to fit 331 bytes.
        EPCQRPayload(
            payment: payment(.ibanOnly, String(repeating: "x", count: 140), iban: "FI2112345600000785", bic: "NDEAFIHHXXX"), due: due(1),
            beneficiary: String(repeating: "Ö", count: 70))!,
    ]

    @Test("the EPC QR code reads back byte for byte as its payload (UTF-8, newlines and all)", arguments: Self.epcPayloads)
    func qrReadsBack(payload: EPCQRPayload) async throws {
        let image = try #require(PaymentCodeImage.qr(payload))
        let decoded = try await ZBar.decode(image.png, symbology: "qrcode")
        #expect(decoded == Array(payload.text.utf8), "decoded: \(String(decoding: decoded, as: UTF8.self))")
    }

    @Test("the largest EPC payload (331 bytes) needs QR version 13 at level M, the version EPC069-12 sizes it for")
    func largestPayloadVersion() throws {
        let largest = Self.epcPayloads[2]
        #expect(largest.text.utf8.count == 331)
        let symbol = try #require(QRSymbol(bytes: Array(largest.text.utf8), level: .medium))
        #expect(symbol.version == 13)
        #expect(symbol.size == 17 + 4 * 13)
        // One byte more no longer fits version 13 at M.
        #expect(try #require(QRSymbol(bytes: Array(largest.text.utf8) + [0x41], level: .medium)).version == 14)
        #expect(QRSymbol(bytes: [], level: .medium) == nil)
    }

    @Test("a QR image: the quiet zone is 4 modules of white, each module scale × scale pixels")
    func qrGeometry() throws {
        let symbol = try #require(QRSymbol(bytes: Array("BCD".utf8)))
        let bitmap = Bitmap(symbol, scale: 3)
        #expect(bitmap.width == (symbol.size + 8) * 3 && bitmap.height == bitmap.width)
        for index in 0..<bitmap.width {
            #expect(!bitmap[index, 0] && !bitmap[0, index] && !bitmap[index, 4 * 3 - 1] && !bitmap[bitmap.width - 1, index])
        }
        // The top-left finder pattern's corner module is dark, and drawn 3 × 3.
        #expect(symbol.isDark(x: 0, y: 0))
        #expect((12..<15).allSatisfy { x in (12..<15).allSatisfy { y in bitmap[x, y] } })
    }

    // MARK: - Code 128 and the Finnish bank barcode

    @Test("Code 128 code set C: Start C, digit pairs, the mod 103 check character, computed by hand")
    func code128Values() throws {
        // 105 + 1·12 + 2·34 + 3·56 = 353 = 3·103 + 44.
        #expect(Code128.values(digits: "123456") == [105, 12, 34, 56, 44])
        // 105 + 1·0 + 2·49 = 203 = 103 + 100: the check can be a value no digit pair has.
        #expect(Code128.values(digits: "0049") == [105, 0, 49, 100])
        #expect(Code128.values(digits: "12345") == nil)
        #expect(Code128.values(digits: "12a4") == nil)
        #expect(Code128.values(digits: "") == nil)
        // 11 modules a character (start, 27 pairs, check), 13 for Stop, 10 light either side.
        let modules = try #require(Code128.modules(digits: String(repeating: "0", count: 54)))
        #expect(modules.count == 11 * 29 + 13 + 20)
        #expect(modules.prefix(10).allSatisfy { !$0 } && modules.suffix(10).allSatisfy { !$0 })
        #expect(modules[10] && modules[modules.count - 11], "a symbol starts and ends with a bar")
        // Every character is 11 modules of three bars and three spaces; the bars' modules add up to an even number.
        for (value, pattern) in Code128.patterns.enumerated() {
            #expect(pattern.count == (value == 106 ? 7 : 6) && pattern.reduce(0, +) == (value == 106 ? 13 : 11), "\(value)")
            #expect(stride(from: 0, to: pattern.count, by: 2).map { Int(pattern[$0]) }.reduce(0, +) % 2 == 0, "\(value)")
        }
        #expect(Set(Code128.patterns).count == 107)
    }

    /// Digits that use every character of code set C: all pairs 00…99, and inputs whose check
    /// character is 100, 101 and 102.
    static let everyCharacter: [String] = {
        let pairs = (0..<100).map { $0 < 10 ? "0\($0)" : "\($0)" }.joined()
        let fourDigits = (0..<10_000).map { (number: Int) -> String in
            let text = String(number)
            return String(repeating: "0", count: 4 - text.count) + text
        }
        let checks = (100...102).map { (check: Int) -> String in
            fourDigits.first { Code128.values(digits: $0)?.last == check } ?? "none for \(check)"
        }
        return [pairs] + checks
    }()

    @Test("every Code 128 character reads back: all 100 digit pairs, and check characters 100 to 102", arguments: Self.everyCharacter)
    func code128ReadsBack(digits: String) async throws {
        let modules = try #require(Code128.modules(digits: digits))
        let png = PNGEncoder.encode(Bitmap(bars: modules, scale: 2, height: 60))
        #expect(try await ZBar.decodeText(png, symbology: "code128") == digits)
    }

    /// Version 4 and version 5 examples of Finance Finland's bank barcode guide (the v4 ones as
    /// the third-party bank-barcode crate's tests also reproduce them).
    static let guideExamples: [(payment: PaymentDetails, cents: Int, date: CalendarDate, digits: String)] = [
        (payment(.fiRef, "868516259619897", iban: "FI7944052020036082"), 488_315, CalendarDate(year: 2010, month: 6, day: 12),
         "479440520200360820048831500000000868516259619897100612"),
        (payment(.fiRef, "559582243294671", iban: "FI5810171000000122"), 48_299, CalendarDate(year: 2012, month: 1, day: 31),
         "458101710000001220004829900000000559582243294671120131"),
        (payment(.fiRef, "69875672083435364", iban: "FI0250004640001302"), 69_380, CalendarDate(year: 2011, month: 7, day: 24),
         "402500046400013020006938000000069875672083435364110724"),
        (payment(.rf, "RF09868516259619897", iban: "FI7944052020036082"), 488_315, CalendarDate(year: 2010, month: 6, day: 12),
         "579440520200360820048831509000000868516259619897100612"),
    ]

    @Test("the Finnish bank barcode of the guide's examples reads back from its Code 128 image, digit for digit", arguments: 0..<4)
    func barcodeReadsBack(example: Int) async throws {
        let (payment, cents, date, digits) = Self.guideExamples[example]
        let code = try #require(FinnishVirtualBarcode(payment: payment, due: Self.due(cents, date)))
        #expect(code.digits == digits)
        let image = try #require(PaymentCodeImage.barcode(code))
        #expect(image.width == (11 * 29 + 13 + 20) * PaymentCodeImage.barcodeScale)
        #expect(PaymentCodeImage.printedMillimetres(pixels: image.width) == "89.4")
        #expect(PaymentCodeImage.printedMillimetres(pixels: image.height) == "13.0")
        #expect(try await ZBar.decodeText(image.png, symbology: "code128") == digits)
    }

    // MARK: - PNG

    @Test("CRC-32 and Adler-32 give their published check values")
    func checksums() {
        #expect(PNGEncoder.crc32(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(PNGEncoder.adler32(Array("Wikipedia".utf8)) == 0x11E6_0398)
        #expect(PNGEncoder.adler32([]) == 1)
    }

    @Test("a PNG is the signature, IHDR (1-bit greyscale), IDAT and IEND, each chunk's CRC right; the IDAT's stored blocks hold the rows")
    func pngStructure() throws {
        // 2 000 × 300 pixels: 251 bytes a row, 75 300 in all, so two stored blocks.
        var bitmap = Bitmap(width: 2000, height: 300)
        for x in stride(from: 0, to: 2000, by: 3) { bitmap[x, x % 300] = true }
        let png = PNGEncoder.encode(bitmap)
        #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        var chunks: [(type: String, data: [UInt8])] = []
        var index = 8
        func u32(_ at: Int) -> Int { Int(png[at]) << 24 | Int(png[at + 1]) << 16 | Int(png[at + 2]) << 8 | Int(png[at + 3]) }
        while index < png.count {
            let length = u32(index)
            let typed = Array(png[(index + 4)..<(index + 8 + length)])
            #expect(UInt32(u32(index + 8 + length)) == PNGEncoder.crc32(typed))
            chunks.append((String(decoding: typed.prefix(4), as: UTF8.self), Array(typed.dropFirst(4))))
            index += 12 + length
        }
        #expect(index == png.count)
        #expect(chunks.map(\.type) == ["IHDR", "IDAT", "IEND"])
        #expect(chunks[0].data == [0, 0, 0x07, 0xD0, 0, 0, 0x01, 0x2C, 1, 0, 0, 0, 0])
        // The zlib stream: header, stored blocks (BFINAL on the last), Adler-32 of the rows.
        let stream = chunks[1].data
        #expect((Int(stream[0]) << 8 | Int(stream[1])) % 31 == 0 && stream[0] & 0x0F == 8)
        var rows: [UInt8] = []
        var at = 2
        var finals: [Bool] = []
        while true {
            let header = stream[at]
            #expect(header & 0x06 == 0, "stored block")
            let length = Int(stream[at + 1]) | Int(stream[at + 2]) << 8
            let complement = Int(stream[at + 3]) | Int(stream[at + 4]) << 8
            #expect(length ^ complement == 0xFFFF)
            rows += stream[(at + 5)..<(at + 5 + length)]
            at += 5 + length
            finals.append(header & 1 == 1)
            if header & 1 == 1 { break }
        }
        #expect(finals == [false, true])
        #expect(rows == PNGEncoder.scanlines(bitmap))
        #expect(Array(stream[at...]) == PNGEncoder.bigEndian(PNGEncoder.adler32(rows)))
        // Row 0: filter 0, pixel 0 black (bit 7 of the first byte clear), pixel 1 white.
        #expect(rows[0] == 0 && rows[1] & 0x80 == 0 && rows[1] & 0x40 != 0)
        #expect(rows.count == 300 * 251)
    }

    @Test("a PNG of many stored blocks (the largest QR code drawn 30 pixels a module: 11 blocks) still reads back")
    func manyBlocksReadBack() async throws {
        let payload = Self.epcPayloads[2]
        let symbol = try #require(QRSymbol(bytes: Array(payload.text.utf8)))
        let bitmap = Bitmap(symbol, scale: 30)
        #expect(PNGEncoder.scanlines(bitmap).count > 10 * PNGEncoder.storedBlockLimit)
        #expect(try await ZBar.decode(PNGEncoder.encode(bitmap), symbology: "qrcode") == Array(payload.text.utf8))
    }
}

extension EPCQRPayload: CustomTestStringConvertible {
    public var testDescription: String { text.replacingOccurrences(of: "\n", with: "⏎") }
}
