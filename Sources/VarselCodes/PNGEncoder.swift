/// Writes a `Bitmap` as a PNG (ISO/IEC 15948, W3C PNG): 1-bit greyscale, no interlacing, each row
/// with filter type 0, the image data a zlib stream (RFC 1950) of stored deflate blocks (RFC 1951
/// §3.2.4: no compression). Codes are small and two-coloured, so compression would save little
/// and a stored stream needs no library; every decoder reads it.
public enum PNGEncoder {
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    /// The most a stored deflate block holds.
    static let storedBlockLimit = 65_535

    public static func encode(_ bitmap: Bitmap) -> [UInt8] {
        var header: [UInt8] = []
        header += bigEndian(UInt32(bitmap.width))
        header += bigEndian(UInt32(bitmap.height))
        header += [1, 0, 0, 0, 0]  // bit depth 1, greyscale, deflate, adaptive filtering, no interlace
        var png = signature
        png += chunk("IHDR", header)
        png += chunk("IDAT", zlibStored(scanlines(bitmap)))
        png += chunk("IEND", [])
        return png
    }

    /// Each row: filter byte 0, then the pixels 8 to a byte, leftmost in the high bit; 0 is black,
    /// 1 white (greyscale), the unused low bits of a row's last byte white.
    static func scanlines(_ bitmap: Bitmap) -> [UInt8] {
        let rowBytes = (bitmap.width + 7) / 8
        var data = [UInt8](repeating: 0xFF, count: (rowBytes + 1) * bitmap.height)
        for y in 0..<bitmap.height {
            let start = y * (rowBytes + 1)
            data[start] = 0
            for x in 0..<bitmap.width where bitmap[x, y] {
                data[start + 1 + x / 8] &= ~(0x80 >> UInt8(x % 8))
            }
        }
        return data
    }

    /// A zlib stream (RFC 1950) of `data` in stored deflate blocks: header 0x78 0x01 (deflate, 32 KiB
    /// window, no dictionary, check bits so the pair is a multiple of 31), the blocks, Adler-32.
    static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var stream: [UInt8] = [0x78, 0x01]
        var start = 0
        repeat {
            let end = min(start + storedBlockLimit, data.count)
            let length = UInt16(end - start)
            stream.append(end == data.count ? 1 : 0)  // BFINAL, BTYPE 00 (stored), padded to the byte
            stream += [UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8(~length >> 8)]
            stream += data[start..<end]
            start = end
        } while start < data.count
        stream += bigEndian(adler32(data))
        return stream
    }

    /// A chunk: length, type, data, CRC-32 of type and data.
    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typed = Array(type.utf8) + data
        return bigEndian(UInt32(data.count)) + typed + bigEndian(crc32(typed))
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    /// Adler-32 (RFC 1950 §8.2).
    static func adler32(_ data: [UInt8]) -> UInt32 {
        var a: UInt32 = 1
        var b: UInt32 = 0
        for byte in data {
            a = (a + UInt32(byte)) % 65_521
            b = (b + a) % 65_521
        }
        return b << 16 | a
    }

    /// CRC-32 as PNG uses it (ISO 3309, polynomial 0xEDB88320 reflected, initial and final
    /// inversion).
    static func crc32(_ data: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in data {
            crc = crcTable[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
        }
        return ~crc
    }

    private static let crcTable: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 == 1 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1 }
        return value
    }
}
