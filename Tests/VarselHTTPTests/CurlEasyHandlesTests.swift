import Synchronization
import Testing
@testable import VarselHTTP

/// The curl thread's idle handles: kept per setup, bounded, and a setup whose handles were all taken
/// is forgotten.
@Suite struct CurlEasyHandlesTests {
    @Test func handlesForEverNewURLsStayBounded() throws {
        let handles = CurlEasyHandles(limit: 4)
        defer { handles.cleanUp() }
        var running: [(UnsafeMutableRawPointer, CurlHandleSetup)] = []
        for round in 0..<50 {
            // Four transfers at once, each to a URL never seen before, then given back.
            for slot in 0..<4 {
                let setup = try #require(CurlHandleSetup(HTTPRequest(method: "POST", url: "http://127.0.0.1:9/m/\(round)-\(slot)")))
                let taken = try #require(handles.take(for: setup))
                #expect(!taken.isSetUp)
                running.append((taken.easy, setup))
            }
            for (easy, setup) in running { handles.giveBack(easy, setup: setup) }
            running.removeAll()
            #expect(handles.keptSetups <= 4)
        }
        #expect(handles.created.load(ordering: .relaxed) == 4)
        // The same setup again finds its handle still set up.
        let again = try #require(CurlHandleSetup(HTTPRequest(method: "POST", url: "http://127.0.0.1:9/m/49-0")))
        let taken = try #require(handles.take(for: again))
        #expect(taken.isSetUp)
        handles.giveBack(taken.easy, setup: again)
    }
}
