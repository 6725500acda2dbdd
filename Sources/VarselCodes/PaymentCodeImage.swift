import Foundation
import VarselCore

/// A payment code drawn as a PNG, with what HTML needs to show it at the right size.
public struct PaymentCodeImage: Sendable, Hashable {
    public let png: [UInt8]
    /// In pixels.
    public let width: Int
    public let height: Int

    /// `data:image/png;base64,…`, for an `<img src>` that needs no other file. Letters keep it (a
    /// print service renders the HTML); email gateways turn it into an inline part, as most mail
    /// clients do not show `data:` images.
    public var dataURI: String { "data:image/png;base64," + Data(png).base64EncodedString() }

    /// Pixels per QR module. Shown at its pixel size, a module is 0.8 mm on a 96 dpi screen and on
    /// paper: large enough for any phone camera, and the symbol stays about 3–6 cm wide.
    public static let qrScale = 3

    /// The EPC QR code of `payload` (error correction level M, quiet zone of 4 modules); nil when
    /// libqrencode cannot encode it (it always can within the payload's 331 bytes).
    public static func qr(_ payload: EPCQRPayload) -> PaymentCodeImage? {
        guard let symbol = QRSymbol(bytes: Array(payload.text.utf8), level: .medium) else { return nil }
        return PaymentCodeImage(Bitmap(symbol, scale: qrScale))
    }

    /// Pixels per Code 128 module: printed at `barcodeModuleMillimetres` (1/100 inch), a module is
    /// exactly 3 dots of a 300 dpi printer, so no bar is widened or narrowed by resampling.
    public static let barcodeScale = 3
    /// The printed width of one module, 0.254 mm.
    public static let barcodeModuleMillimetres = 0.254
    /// The printed height of the bars.
    public static let barcodeHeightMillimetres = 13.0
    /// Light modules either side; ISO/IEC 15417 asks for at least 10.
    public static let barcodeQuietZone = 10

    /// The Finnish bank barcode as Code 128 (code set C) at `barcodeScale` pixels a module, as
    /// high as `barcodeHeightMillimetres` at the same resolution.
    public static func barcode(_ code: FinnishVirtualBarcode) -> PaymentCodeImage? {
        guard let modules = Code128.modules(digits: code.digits, quietZone: barcodeQuietZone) else { return nil }
        let height = Int((barcodeHeightMillimetres / barcodeModuleMillimetres * Double(barcodeScale)).rounded())
        return PaymentCodeImage(Bitmap(bars: modules, scale: barcodeScale, height: height))
    }

    /// How long `pixels` of a barcode image print, in millimetres with one decimal (`89.4`).
    public static func printedMillimetres(pixels: Int) -> String {
        let millimetres = Double(pixels) / Double(barcodeScale) * barcodeModuleMillimetres
        return String(format: "%.1f", millimetres)
    }

    init(_ bitmap: Bitmap) {
        png = PNGEncoder.encode(bitmap)
        width = bitmap.width
        height = bitmap.height
    }
}
