import Foundation
import Testing
import VarselCore
import VarselDaemon
import VarselGateways
import VarselTestSupport

/// A new user's path through the README: the shipped examples, the sandbox, the errors that tell
/// them what to do, and a repository that carries its own reference docs.
@Suite(.serialized) struct NewUserTests {
    static let root = Paths.packageRoot
    static var examples: URL { root.appendingPathComponent("deploy/examples") }

    static func text(_ relative: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(relative), encoding: .utf8)
    }

    /// `deploy/sandbox.yaml` as it is, with its store moved into `directory` (the way the install
    /// script rewrites the `store:` line) and its templates read from the checkout.
    static func sandboxCopy(_ directory: TemporaryDirectory) throws -> String {
        var lines = try text("deploy/sandbox.yaml").components(separatedBy: "\n")
        let store = try #require(lines.firstIndex { $0.hasPrefix("store:") }, "deploy/sandbox.yaml has no store: line")
        lines[store] = "store: { path: \"\(directory.file("varsel.db"))\" }"
        let templates = try #require(lines.firstIndex { $0.hasPrefix("templates:") }, "deploy/sandbox.yaml has no templates: line")
        lines[templates] = "templates: { dir: \"\(Paths.templates)\" }"
        return directory.write("sandbox.yaml", lines.joined(separator: "\n"))
    }

    @Test("every file in deploy/examples is accepted by varsel enqueue with the sandbox configuration, line by line")
    func examplesAreAccepted() async throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.examples.path).sorted()
        #expect(Set(files).isSuperset(of: ["sms-reminder.json", "email-reminder.json", "letter-collection-notice.json", "batch.ndjson"]), "\(files)")
        let directory = TemporaryDirectory()
        let config = try Self.sandboxCopy(directory)
        for name in files {
            let path = Self.examples.appendingPathComponent(name).path
            let contents = try String(contentsOfFile: path, encoding: .utf8)
            let expectedLines = name.hasSuffix(".ndjson") ? contents.split(separator: "\n").filter { !$0.allSatisfy(\.isWhitespace) }.count : 1
            let run = try await ChildProcess.run(["enqueue", "--config", config, path])
            #expect(run.status == 0, "\(name) was refused: \(run.stdout) \(run.stderr)")
            let results = ndjsonObjects(run.stdout)
            #expect(results.count == expectedLines, "\(name): \(run.stdout)")
            #expect(results.allSatisfy { $0["state"] as? String == "queued" && $0["error"] == nil }, "\(name): \(run.stdout)")
        }
    }

    @Test("the examples never go stale: no send_after or expires_at, and every deadline and instalment lies weeks ahead")
    func examplesDoNotGoStale() throws {
        let soon = Date().addingTimeInterval(30 * 86_400)
        for name in try FileManager.default.contentsOfDirectory(atPath: Self.examples.path) {
            let contents = try String(contentsOf: Self.examples.appendingPathComponent(name), encoding: .utf8)
            let messages = name.hasSuffix(".ndjson") ? contents.split(separator: "\n").map(String.init) : [contents]
            for message in messages where !message.allSatisfy(\.isWhitespace) {
                let object = try #require(try JSONSerialization.jsonObject(with: Data(message.utf8)) as? [String: Any], "\(name)")
                #expect(object["send_after"] == nil && object["expires_at"] == nil, "\(name) carries a fixed send time")
                let data = try #require(object["data"] as? [String: Any])
                var ahead = (data["deadline"] as? String).map { [$0] } ?? []
                ahead += (data["installments"] as? [[String: Any]] ?? []).compactMap { $0["due_date"] as? String }
                for date in ahead {
                    let day = try #require(RFC3339.parseTimestamp(date + "T00:00:00Z"), "\(name): \(date)")
                    #expect(day > soon, "\(name): \(date) is less than 30 days ahead; move the examples' dates on")
                }
            }
        }
    }

    @Test("every deploy/ path the README names exists, and no example file is named that is not shipped")
    func readmePathsExist() throws {
        let readme = try Self.text("README.md")
        let paths = readme.matches(of: #/deploy/[A-Za-z0-9_./-]+/#).map { String($0.output).trimmingCharacters(in: CharacterSet(charactersIn: ".")) }
        #expect(paths.contains("deploy/examples/sms-reminder.json"))
        for path in Set(paths) {
            #expect(FileManager.default.fileExists(atPath: Self.root.appendingPathComponent(path).path), "README names \(path), which does not exist")
        }
        for text in [readme, try Self.text("deploy/sandbox.yaml"), try Self.text("deploy/README.md")] {
            #expect(!text.contains("msg.json") && !text.contains(" message.json"), "an example file that is not shipped is named")
        }
        // The README's example message is the shipped one, and takes no fixed send time.
        #expect(!readme.contains(#""expires_at": "20"#) && !readme.contains(#""send_after": "20"#))
    }

    @Test("the sandbox says it turns contact windows off and does, and everything it writes lands in a git-ignored state directory")
    func sandboxWindowsAndState() async throws {
        let sandbox = try Self.text("deploy/sandbox.yaml")
        #expect(sandbox.contains("CONTACT WINDOWS ARE OFF IN THE SANDBOX"))
        #expect(try Self.text("README.md").contains("The sandbox turns contact windows off"))
        let config = try ConfigLoader.load(path: Self.root.appendingPathComponent("deploy/sandbox.yaml").path, environment: [:], secrets: .skip)
        #expect(config.contactWindows.enabled == false)
        let state = Self.root.appendingPathComponent(".varsel-sandbox").standardizedFileURL.path
        let storeDirectory = URL(fileURLWithPath: config.store.path).deletingLastPathComponent().standardizedFileURL.path
        #expect(storeDirectory == state, "the sandbox store is in \(storeDirectory)")
        var isDirectory: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: state, isDirectory: &isDirectory) && isDirectory.boolValue, "the state directory is not shipped")

        // What the sandbox writes: the store, its WAL files and the last good template set beside it.
        let written = ["varsel.db", "varsel.db-wal", "varsel.db-shm", "templates-last-good.json"].map { ".varsel-sandbox/" + $0 }
        let git = try ChildProcess(
            arguments: ["-C", Self.root.path, "check-ignore", "--no-index"] + written + [".varsel-sandbox/README.md"],
            executable: "/usr/bin/git")
        #expect(await git.wait(timeout: .seconds(300)) != nil, "git check-ignore did not finish")
        let ignored = Set(git.stdout.split(separator: "\n").map(String.init))
        #expect(ignored == Set(written), "git would see: \(Set(written).subtracting(ignored)); ignored: \(ignored)")
    }

    @Test("without a configuration file the error says how to pass one")
    func missingConfiguration() async throws {
        let directory = TemporaryDirectory()
        let missing = directory.file("nowhere.yaml")
        for arguments in [["status", "--config", missing, "msg_x"], ["serve", "--config", missing], ["enqueue", "--config", missing, "-"]] {
            let run = try await ChildProcess.run(arguments, stdin: Data())
            #expect(run.status == 1, "\(arguments): \(run.stderr)")
            #expect(run.stderr.contains("no configuration file at \(missing)"), "\(run.stderr)")
            #expect(run.stderr.contains("--config PATH") && run.stderr.contains("--config deploy/sandbox.yaml"), "\(run.stderr)")
        }
        if !FileManager.default.fileExists(atPath: "/etc/varsel/varsel.yaml") {
            let run = try await ChildProcess.run(["config", "check"])
            #expect(run.status == 1)
            #expect(run.stderr.contains("/etc/varsel/varsel.yaml (the default)") && run.stderr.contains("--config PATH"), "\(run.stderr)")
        }
    }

    @Test("a 401 from --server names VARSEL_TOKEN: not set, or not a valid token")
    func unauthorizedNamesTheVariable() async throws {
        let directory = TemporaryDirectory()
        let config = ProcessTests.writeConfig(directory, gatewayBase: "http://127.0.0.1:1")
        let serve = try ChildProcess(arguments: ["serve", "--config", config])
        #expect(await eventually { serve.announcedPort != nil }, "\(serve.stderr)")
        let server = "http://127.0.0.1:\(serve.announcedPort ?? "0")"

        let unset = try ChildProcess(arguments: ["status", "--server", server, "msg_x"], environment: ["VARSEL_TOKEN": ""])
        #expect(await unset.wait() == 1)
        #expect(unset.stderr.contains("HTTP 401") && unset.stderr.contains("VARSEL_TOKEN is not set"), "\(unset.stderr)")

        let wrong = try ChildProcess(
            arguments: ["enqueue", "--server", server, "-"], environment: ["VARSEL_TOKEN": "vt_not_a_real_token_0123"], stdin: Data(Fixtures.sms().utf8))
        #expect(await wrong.wait() == 1)
        #expect(wrong.stderr.contains("HTTP 401") && wrong.stderr.contains("the token in VARSEL_TOKEN"), "\(wrong.stderr)")
        #expect(!wrong.stderr.contains("vt_not_a_real_token_0123"), "the token was echoed")

        serve.signal(SIGTERM)
        #expect(await serve.wait() == 0)
    }

    /// The text files a clone carries, outside build output.
    static func projectFiles() -> [URL] {
        var files = [root.appendingPathComponent("README.md"), root.appendingPathComponent("Package.swift")]
        for folder in ["Sources", "Tests", "docs", "deploy", "templates", "scripts", ".ci"] {
            let enumerator = FileManager.default.enumerator(at: root.appendingPathComponent(folder), includingPropertiesForKeys: [.isRegularFileKey])
            while let url = enumerator?.nextObject() as? URL {
                if (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true { files.append(url) }
            }
        }
        return files
    }

    @Test("nothing in the repository points to the internal design notes outside it; the project's own docs are there")
    func noReferencesOutsideTheRepository() throws {
        // Spelt in pieces, so this file does not match itself.
        let needles = ["../" + "shared", "shared/" + "DESIGN", "DESIGN" + ".md", "DOMAIN" + ".md", "STYLE" + ".md"]
        var hits: [String] = []
        for file in Self.projectFiles() {
            guard let data = try? Data(contentsOf: file), !data.contains(0), let text = String(data: data, encoding: .utf8) else { continue }
            for needle in needles where text.contains(needle) {
                hits.append("\(file.path.dropFirst(Self.root.path.count + 1)): \(needle)")
            }
        }
        #expect(hits.isEmpty, "\(hits.joined(separator: "\n"))")
        for page in ["README.md", "message.md", "status.md", "gateway.md", "configuration.md", "cli.md", "guarantees.md", "domain.md", "providers.md"] {
            #expect(FileManager.default.fileExists(atPath: Self.root.appendingPathComponent("docs/" + page).path), "docs/\(page) is missing")
        }
    }

    @Test("every relative link in the README and docs/ leads to a file that exists")
    func linksResolve() throws {
        let pages = [Self.root.appendingPathComponent("README.md")]
            + (try FileManager.default.contentsOfDirectory(atPath: Self.root.appendingPathComponent("docs").path))
            .filter { $0.hasSuffix(".md") }.map { Self.root.appendingPathComponent("docs/" + $0) }
        for page in pages {
            let text = try String(contentsOf: page, encoding: .utf8)
            for match in text.matches(of: #/\]\(([^)\s]+)\)/#) {
                let target = String(match.output.1)
                guard !target.hasPrefix("http"), !target.hasPrefix("#"), !target.hasPrefix("mailto:") else { continue }
                let path = String(target.split(separator: "#", maxSplits: 1).first ?? "")
                let resolved = page.deletingLastPathComponent().appendingPathComponent(path).standardizedFileURL.path
                #expect(FileManager.default.fileExists(atPath: resolved), "\(page.lastPathComponent) links to \(target), which does not exist")
            }
        }
    }

    @Test("the configuration reference names every key the loader accepts")
    func configurationReferenceIsComplete() throws {
        let reference = try Self.text("docs/configuration.md")
        let loader = try Self.text("Sources/VarselDaemon/Config/ConfigLoader.swift")
            + Self.text("Sources/VarselDaemon/Config/ConfigReader+Gateways.swift")
            + Self.text("Sources/VarselDaemon/Config/ConfigReader+CollectionRules.swift")
        // Every `allowed:` list of the loader: the keys it accepts under a section.
        var keys: Set<String> = []
        for match in loader.matches(of: #/allowed(?:: | = )\[([^\]]*)\]/#) {
            for key in String(match.output.1).matches(of: #/"([a-z_]+)"/#) { keys.insert(String(key.output.1)) }
        }
        #expect(keys.count > 40, "found only \(keys.sorted())")
        // Window day keys and refused secret names are documented as groups.
        let grouped: Set = ["mon", "tue", "wed", "thu", "fri", "sat", "sun", "saturday", "sunday", "weekdays", "every_day", "token", "auth_token", "password",
                            "api_key", "secret", "api_secret"]
        for key in keys.subtracting(grouped).sorted() {
            #expect(try Regex("\\b\(key)\\b").wordBoundaryKind(.simple).firstMatch(in: reference) != nil,
                "docs/configuration.md does not mention \(key)")
        }
    }

    @Test("docs/providers.md lists every preset with every key it reads and its receipt schemes")
    func providerReferenceIsComplete() throws {
        let reference = try Self.text("docs/providers.md")
        for kind in GatewayConfiguration.Kind.allCases {
            let preset = kind.preset
            #expect(reference.contains("`type: \(preset.type)`"), "docs/providers.md has no section for \(preset.type)")
            for key in preset.options.map(\.name) + preset.secrets.flatMap({ ["\($0.name)_file", "\($0.name)_env"] }) + preset.receiptSchemes {
                #expect(reference.contains("`\(key)`"), "docs/providers.md does not mention \(key) (\(preset.type))")
            }
            #expect(!preset.summary.isEmpty, "\(preset.type) has no summary")
        }
    }

    @Test("deploy/varsel.yaml is a valid configuration that sends through real presets: SMTP for email, a Nordic SMS aggregator for SMS")
    func productionExampleUsesRealPresets() throws {
        let config = try ConfigLoader.load(path: Self.root.appendingPathComponent("deploy/varsel.yaml").path, environment: [:], secrets: .skip)
        let sms = try #require(config.channels[.sms]?.first.flatMap { config.gateways[$0] })
        let email = try #require(config.channels[.email]?.first.flatMap { config.gateways[$0] })
        #expect([.linkmobility, .gatewayapi, .fortySixElks, .sveve].contains(sms.kind))
        #expect(email.kind == .smtp)
        #expect(!(try Self.text("deploy/varsel.yaml")).contains(".example/v1/send"), "no fictional email API")
    }
}
