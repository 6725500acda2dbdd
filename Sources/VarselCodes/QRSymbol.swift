import CQRencode
import Synchronization

/// A QR code symbol (ISO/IEC 18004) encoded by libqrencode: the smallest version that holds the
/// bytes at the error correction level, in 8-bit byte mode (the EPC QR code's UTF-8 text goes in
/// as it is, no ECI header). The modules do not include the quiet zone.
public struct QRSymbol: Sendable, Hashable {
    /// The error correction level: how much of the symbol may be damaged and still read.
    public enum Level: Sendable {
        /// About 7 %.
        case low
        /// About 15 %; what the EPC QR code asks for.
        case medium
        /// About 25 %.
        case quartile
        /// About 30 %.
        case high

        var qrencode: QRecLevel {
            switch self {
            case .low: QR_ECLEVEL_L
            case .medium: QR_ECLEVEL_M
            case .quartile: QR_ECLEVEL_Q
            case .high: QR_ECLEVEL_H
            }
        }
    }

    /// The version libqrencode chose (1…40).
    public let version: Int
    /// Modules per side (`17 + 4 × version`).
    public let size: Int
    /// Row by row, `true` for a dark module.
    public let modules: [Bool]

    /// libqrencode is thread-safe only when built with pthreads; one encoding at a time makes that
    /// not matter. Encoding takes well under a millisecond.
    private static let encoder = Mutex(())

    /// Encodes `bytes`; nil when they do not fit a version 40 symbol at `level` (or the library
    /// fails, e.g. out of memory).
    public init?(bytes: [UInt8], level: Level = .medium) {
        guard !bytes.isEmpty, bytes.count <= Int(Int32.max) else { return nil }
        let encoded: (version: Int, size: Int, modules: [Bool])? = Self.encoder.withLock { _ in
            bytes.withUnsafeBufferPointer { buffer in
                guard let base = buffer.baseAddress, let code = QRcode_encodeData(Int32(buffer.count), base, 0, level.qrencode) else {
                    return nil
                }
                defer { QRcode_free(code) }
                let width = Int(code.pointee.width)
                guard width > 0, let data = code.pointee.data else { return nil }
                // Bit 0 of each byte is the module's colour; the other bits describe its role.
                let modules = (0..<width * width).map { data[$0] & 1 == 1 }
                return (Int(code.pointee.version), width, modules)
            }
        }
        guard let encoded else { return nil }
        version = encoded.version
        size = encoded.size
        modules = encoded.modules
    }

    /// Whether the module in column `x`, row `y` is dark.
    public func isDark(x: Int, y: Int) -> Bool { modules[y * size + x] }
}
