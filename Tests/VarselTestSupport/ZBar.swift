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
    /// has not ended after `limit` is killed and fails.
    public static func decode(_ png: [UInt8], symbology: String, limit: Duration = .seconds(300)) async throws -> [UInt8] {
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw Failure(description: "\(path) is missing: install zbar-tools (apt-get install zbar-tools), as .ci/run does")
        }
        let directory = TemporaryDirectory("varsel-zbar")
        defer { withExtendedLifetime(directory) {} }  // removed on deinit: not before zbarimg has read it
        let file = directory.file("code.png")
        try Data(png).write(to: URL(fileURLWithPath: file))

        // Only the decoder asked for, so a QR test cannot pass on a stray 1-D reading and vice versa.
        // --raw: the data as the symbol holds it, no character set conversion. Waited for by polling,
        // so no thread that every test's async code shares is held meanwhile.
        let process = try ChildProcess(
            arguments: ["--raw", "-q", "--nodbus", "-Sdisable", "-S\(symbology).enable", file], executable: path)
        guard let status = await process.wait(timeout: limit) else {
            throw Failure(description: "zbarimg did not finish within \(limit)")
        }
        // zbarimg exits non-zero when it finds no symbol.
        guard status == 0 else {
            throw Failure(description: "zbarimg found no \(symbology) symbol (exit \(status)): \(process.stderr)")
        }
        // Each symbol's data is followed by one line feed.
        var bytes = process.stdoutBytes
        guard bytes.last == 0x0A else { throw Failure(description: "zbarimg's output does not end in a line feed") }
        bytes.removeLast()
        return bytes
    }


    public static func decodeText(_ png: [UInt8], symbology: String) async throws -> String {
        String(decoding: try await decode(png, symbology: symbology), as: UTF8.self)
    }
}
