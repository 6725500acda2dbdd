import Foundation

/// Reads codes back with `zbarimg` (Debian's zbar-tools), a decoder independent of the encoders
/// under test. A missing `zbarimg` fails the test: the decode tests are the evidence that the
/// images scan, so they must not pass by not running.
public enum ZBar {
    public static let path = "/usr/bin/zbarimg"

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The data of the one symbol `zbarimg --raw -q` finds in the PNG `png` (written to a temporary
    /// file), byte for byte; `symbology` is the only decoder enabled (`qrcode`, `code128`). A run that
    /// has not ended after `limit` seconds is killed and fails.
    public static func decode(_ png: [UInt8], symbology: String, limit: TimeInterval = 60) throws -> [UInt8] {
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw Failure(description: "\(path) is missing: install zbar-tools (apt-get install zbar-tools), as .ci/run does")
        }
        let directory = TemporaryDirectory("varsel-zbar")
        defer { withExtendedLifetime(directory) {} }  // removed on deinit: not before zbarimg has read it
        let file = URL(fileURLWithPath: directory.file("code.png"))
        try Data(png).write(to: file)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        // Only the decoder asked for, so a QR test cannot pass on a stray 1-D reading and vice versa.
        // --raw: the data as the symbol holds it, no character set conversion.
        process.arguments = ["--raw", "-q", "--nodbus", "-Sdisable", "-S\(symbology).enable", file.path]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        let ended = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in ended.signal() }
        try process.run()
        // Its output is a few hundred bytes at most, well within a pipe's buffer: reading after the
        // end cannot block it.
        if ended.wait(timeout: .now() + limit) == .timedOut {
            process.terminate()
            throw Failure(description: "zbarimg did not finish within \(Int(limit)) s")
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        // zbarimg exits non-zero when it finds no symbol.
        guard process.terminationStatus == 0 else {
            throw Failure(description: "zbarimg found no \(symbology) symbol (exit \(process.terminationStatus)): \(errorText)")
        }
        // Each symbol's data is followed by one line feed.
        var bytes = Array(data)
        guard bytes.last == 0x0A else { throw Failure(description: "zbarimg's output does not end in a line feed") }
        bytes.removeLast()
        return bytes
    }


    public static func decodeText(_ png: [UInt8], symbology: String) throws -> String {
        String(decoding: try decode(png, symbology: symbology), as: UTF8.self)
    }
}
