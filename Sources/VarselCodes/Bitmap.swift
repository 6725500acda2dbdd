/// A black-and-white raster image, row by row from the top, `true` for black: what a code is
/// drawn into before it is written as a PNG.
public struct Bitmap: Sendable, Hashable {
    public let width: Int
    public let height: Int
    /// `width × height` pixels, row-major.
    public private(set) var pixels: [Bool]

    /// A white image.
    public init(width: Int, height: Int) {
        precondition(width > 0 && height > 0, "a bitmap has at least one pixel")
        self.width = width
        self.height = height
        pixels = [Bool](repeating: false, count: width * height)
    }

    public subscript(x: Int, y: Int) -> Bool {
        get { pixels[y * width + x] }
        set { pixels[y * width + x] = newValue }
    }

    /// A QR symbol with its quiet zone (`quietZone` light modules each side; the standard asks for
    /// 4), each module `scale` × `scale` pixels.
    public init(_ symbol: QRSymbol, scale: Int, quietZone: Int = 4) {
        let side = (symbol.size + 2 * quietZone) * scale
        self.init(width: side, height: side)
        for y in 0..<symbol.size {
            for x in 0..<symbol.size where symbol.isDark(x: x, y: y) {
                for dy in 0..<scale {
                    let row = (y + quietZone) * scale + dy
                    for dx in 0..<scale { self[(x + quietZone) * scale + dx, row] = true }
                }
            }
        }
    }

    /// A linear barcode: each module `scale` pixels wide, every row alike, `height` rows.
    public init(bars modules: [Bool], scale: Int, height: Int) {
        self.init(width: modules.count * scale, height: height)
        var row: [Bool] = []
        row.reserveCapacity(width)
        for module in modules { row += [Bool](repeating: module, count: scale) }
        pixels = Array([[Bool]](repeating: row, count: height).joined())
    }
}
