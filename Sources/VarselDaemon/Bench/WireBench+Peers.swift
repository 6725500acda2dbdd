import Foundation

/// Step 9 of a run (`--peer NAME=COMMAND`): other software measured against the same gateway, after
/// Varsel's own figures (so the two never share the machine at once). Varsel's dispatch rate of the
/// first mix is printed as a multiple of each peer's rate.
///
/// A peer is a command run with `/bin/sh -c`, in a process group of its own, with the gateway's URL
/// in `VARSEL_BENCH_GATEWAY`; the last line it prints must be `msg/s <rate>`. The project's own peers
/// are `scripts/peer-postfix` (Postfix as a durable queue, end to end) and `scripts/peer-apprise`
/// (Apprise's `notify()` to the gateway).
extension WireBench {
    /// A peer as given: its name (for the table and its target) and the command that measures it.
    struct Peer: Sendable, Equatable {
        let name: String
        let command: String

        /// The multiple of its rate that Varsel's dispatch must reach (issue 16), for the peers it names.
        var target: Double? {
            switch name {
            case "postfix": 10
            case "apprise": 50
            default: nil
            }
        }

        /// `NAME=COMMAND`, NAME of lower-case letters, digits and dashes.
        static func parse(_ text: String) throws -> Peer {
            let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, parts[0].allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }),
                  !parts[1].trimmingCharacters(in: .whitespaces).isEmpty
            else {
                throw BenchError(description: "--peer: NAME=COMMAND, NAME of lower-case letters, digits and dashes, e.g. postfix=scripts/peer-postfix (got '\(text)')")
            }
            return Peer(name: parts[0], command: parts[1])
        }
    }

    struct PeerFigures: Sendable {
        let peer: Peer
        let rate: Double
    }

    static func measure(_ peer: Peer, options: Options, directory: URL) async throws -> PeerFigures {
        progress("peer \(peer.name): \(peer.command)")
        let run = try await BenchChild.run(
            name: "peer-\(peer.name)", executable: "/bin/sh", arguments: ["-c", peer.command],
            environment: ["VARSEL_BENCH_GATEWAY": options.gateway], ownGroup: true, in: directory, timeout: .seconds(1_800))
        guard run.exitStatus == 0 else {
            throw BenchError(description: "peer \(peer.name) (\(peer.command)) failed with status \(run.exitStatus.map(String.init) ?? "?"): \(run.logTail)")
        }
        guard let rate = peerRate(run.output) else {
            throw BenchError(description: "peer \(peer.name) (\(peer.command)) did not end with a line `msg/s <rate>`: \(run.output.suffix(300))")
        }
        return PeerFigures(peer: peer, rate: rate)
    }

    /// The rate in the last non-empty line, `msg/s <rate>` with a positive rate; nil otherwise.
    static func peerRate(_ output: String) -> Double? {
        guard let last = output.split(separator: "\n").last(where: { !$0.trimmingCharacters(in: .whitespaces).isEmpty }) else { return nil }
        let words = last.split(separator: " ")
        guard words.count == 2, words[0] == "msg/s", let rate = Double(words[1]), rate.isFinite, rate > 0 else { return nil }
        return rate
    }
}
