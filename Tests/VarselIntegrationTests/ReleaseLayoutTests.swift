import Foundation
import Testing
import VarselTestSupport

/// The deployed build (scripts/build-release) places the functions a deployment runs side by side,
/// as deploy/varsel.order lists them (scripts/order-file writes it from a run under callgrind). The
/// linker ignores names it does not find, so a broken list costs memory without failing a build:
/// these checks stand in for that.
@Suite struct ReleaseLayoutTests {
    static func orderFile() throws -> [Substring] {
        let text = try String(contentsOf: Paths.packageRoot.appendingPathComponent("deploy/varsel.order"), encoding: .utf8)
        return text.split(separator: "\n", omittingEmptySubsequences: false).dropLast(text.hasSuffix("\n") ? 1 : 0).map { $0 }
    }

    @Test("deploy/varsel.order lists symbols, one a line, each once")
    func orderFileIsSymbols() throws {
        let names = try Self.orderFile()
        #expect(names.count >= 5_000, "a run of enqueue, token and serve calls more than 5,000 functions")
        for name in names {
            #expect(!name.isEmpty && !name.contains(where: \.isWhitespace), "not a symbol: \(name.debugDescription)")
            #expect(!name.hasPrefix("0x"), "an address, not a name: \(name)")
        }
        #expect(Set(names).count == names.count, "a name listed twice")
    }

    @Test("deploy/varsel.order covers each part of a deployment: enqueue, the API, dispatch through libcurl, the store")
    func orderFileCoversTheDaemon() throws {
        let names = try Self.orderFile()
        func count(_ module: String) -> Int {
            let prefix = "$s\(module.utf8.count)\(module)"
            return names.count(where: { $0.hasPrefix(prefix) })
        }
        for module in ["VarselCore", "VarselDaemon", "VarselStore", "VarselHTTP", "VarselTemplates", "Hummingbird", "GRDB"] {
            #expect(count(module) >= 20, "\(module): \(count(module)) functions")
        }
        #expect(names.contains { $0.hasPrefix("$s12VarselDaemon12EnqueueBatchO") }, "varsel enqueue's batch")
        #expect(names.contains { $0.hasPrefix("$s12VarselDaemon10DispatcherC") }, "the dispatcher")
    }

    @Test("scripts/build-release hands the list to lld, with every function in a section of its own")
    func buildUsesTheOrder() throws {
        let script = try String(contentsOf: Paths.packageRoot.appendingPathComponent("scripts/build-release"), encoding: .utf8)
        for flag in ["-function-sections", "-use-ld=lld", "--symbol-ordering-file=$PWD/deploy/varsel.order", "--static-swift-stdlib"] {
            #expect(script.contains(flag), "scripts/build-release lacks \(flag)")
        }
        for installer in ["deploy/install.sh", "deploy/build-deb.sh"] {
            let text = try String(contentsOf: Paths.packageRoot.appendingPathComponent(installer), encoding: .utf8)
            #expect(text.contains("binary=$(scripts/build-release)"), "\(installer) builds some other way")
        }
    }
}
