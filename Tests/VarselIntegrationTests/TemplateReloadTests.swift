import Foundation
import Synchronization
import Testing
import VarselCore
@testable import VarselDaemon
import VarselHTTP
import VarselStore
import VarselTemplates
import VarselTestSupport

/// Hot reload: only a set without errors replaces the one in force; a bad edit never stops sending.
@Suite(.serialized) struct TemplateReloadTests {
    @Test("a broken edit keeps the last good set sending and shows its problems; a good edit takes over, and messages record their version")
    func reload() async throws {
        let templates = TemporaryDirectory()
        Fixtures.writeMiniTemplates(templates, sms: "A {{creditor}}\n")
        let directory = TemporaryDirectory()
        let sandbox = SandboxGateway()
        try await sandbox.start()
        let config = try ConfigLoader.load(
            yaml: Fixtures.config(storePath: directory.file("varsel.db"), gatewayBase: sandbox.baseURL, templates: templates.path),
            baseDirectory: directory.path)
        let components = try await Daemon.open(config: config, logger: quietLogger)
        defer { components.client.shutdown() }
        func send(_ key: String) async throws -> MessageStatus {
            let results = try await EnqueueBatch.run(
                Data(Fixtures.sms(key: key).utf8), validator: MessageValidator(kinds: config.planning.kinds), store: components.store)
            await components.dispatcher.run(untilIdle: true)
            let id = try #require(results.first?.id)
            return try #require(try await components.store.status(id: id))
        }
        let first = try await send("r1")
        #expect(first.content?.text == "A Fjordkraft AS")

        templates.write("reminder/en/direct/sms.mustache", "B {{#creditor}}{{creditor}}\n")
        #expect(!components.templates.reload(reason: "test"))
        #expect(components.templates.problems == ["reminder/en/direct/sms.mustache:1:3: error: section {{#creditor}} is never closed"])
        let during = try await send("r2")
        #expect(during.state == .sent && during.content?.text == "A Fjordkraft AS", "the last good set keeps sending")
        #expect(during.template?.version == first.template?.version)

        try await Task.sleep(for: .milliseconds(20))
        templates.write("reminder/en/direct/sms.mustache", "C {{creditor}}\n")
        components.templates.reloadIfChanged()
        #expect(components.templates.problems.isEmpty)
        let after = try await send("r3")
        #expect(after.content?.text == "C Fjordkraft AS")
        #expect(after.template?.version != first.template?.version)
        #expect(try await components.store.status(id: first.id)?.template?.version == first.template?.version)
        await sandbox.stop()
    }

    @Test("the watch reloads on the kernel's change events, also for a directory made after it began, long before its fallback look")
    func watchSeesEdits() async throws {
        let templates = TemporaryDirectory()
        Fixtures.writeMiniTemplates(templates, sms: "A {{creditor}}\n")
        let reloader = try TemplateReloader(directory: templates.path, options: TemplateCheckOptions(), logger: quietLogger)
        let first = reloader.current.keys.count
        let key = try #require(reloader.current.keys.first)
        let version = reloader.current.version(of: key)
        // The fallback look is an hour away: only change events can bring these edits in.
        let watch = Task { await reloader.watch(fallback: .seconds(3600)) }
        defer { watch.cancel() }
        // Edit until one is seen: the watch sets itself up in its own task.
        var round = 0
        #expect(await eventually {
            round += 1
            templates.write("reminder/en/direct/sms.mustache", "B\(round) {{creditor}}\n")
            try? await Task.sleep(for: .milliseconds(100))
            return reloader.current.version(of: key) != version && reloader.problems.isEmpty
        })
        // A directory made now, left alone until the change it caused was looked at, then given a template.
        try FileManager.default.createDirectory(atPath: templates.file("reminder/nb/direct"), withIntermediateDirectories: true)
        try await Task.sleep(for: .milliseconds(300))
        templates.write("reminder/nb/direct/sms.mustache", "C {{creditor}}\n")
        #expect(await eventually { reloader.current.keys.count == first + 1 }, "the new directory's template was not seen")
    }

    @Test("the saved set reads back as written: quotes, backslashes, control characters, line ends and text beyond ASCII, in JSON any reader takes")
    func snapshotRoundTrip() throws {
        let directory = TemporaryDirectory()
        let snapshot = TemplateSnapshot(path: directory.file("state/templates-last-good.json"))
        let files = [
            "reminder/nb/direct/sms.mustache": "Hei {{name}}, \"betal\" C:\\ nå\r\n\t\u{1}\u{1F}\u{7F}\u{2028} 裁判 😀",
            "reminder/sv/direct/email.html.mustache": "<p class=\"x\">Återkrav</p>\n",
            "_partials/empty.mustache": "",
            "rär/ü.mustache": "/path/with/slashes",
        ]
        try snapshot.save(files)
        #expect(snapshot.load() == files)
        let data = try #require(FileManager.default.contents(atPath: snapshot.path))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["files"] as? [String: String] == files)
        #expect(String(decoding: data, as: UTF8.self).hasPrefix(#"{"files":{"_partials/empty.mustache":"","reminder/nb"#), "paths in order")
    }

    @Test("a restart while the directory holds a bad edit starts from the last good set saved in the state directory, and says so")
    func restartWithBadEdit() async throws {
        let templates = TemporaryDirectory()
        Fixtures.writeMiniTemplates(templates, sms: "A {{creditor}}\n")
        let directory = TemporaryDirectory()
        let config = try ConfigLoader.load(
            yaml: Fixtures.config(storePath: directory.file("varsel.db"), gatewayBase: "http://127.0.0.1:\(closedLoopbackPort())", templates: templates.path),
            baseDirectory: directory.path)
        let first = try await Daemon.open(config: config, logger: quietLogger)
        first.client.shutdown()
        func saved(_ file: String) throws -> String? {
            let data = try #require(FileManager.default.contents(atPath: directory.file("templates-last-good.json")))
            return ((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["files"] as? [String: String])?[file]
        }
        #expect(try saved("reminder/en/direct/sms.mustache") == "A {{creditor}}\n")

        templates.write("reminder/en/direct/sms.mustache", "B {{#creditor}}\n")
        let restarted = try await Daemon.open(config: config, logger: quietLogger)
        defer { restarted.client.shutdown() }
        #expect(restarted.templates.problems == ["reminder/en/direct/sms.mustache:1:3: error: section {{#creditor}} is never closed"])
        #expect(restarted.templates.current.keys.map(\.description) == ["reminder/en/direct/sms"])
        #expect(restarted.metrics.exposition().contains("varsel_template_errors 1.0"))

        // Fixed in the directory: the next look takes it, and it becomes the saved set.
        try await Task.sleep(for: .milliseconds(20))
        templates.write("reminder/en/direct/sms.mustache", "C {{creditor}}\n")
        restarted.templates.reloadIfChanged()
        #expect(restarted.templates.problems.isEmpty)
        #expect(try saved("reminder/en/direct/sms.mustache") == "C {{creditor}}\n")

        // With no saved set, a bad directory still stops start-up with its errors.
        templates.write("reminder/en/direct/sms.mustache", "D {{#creditor}}\n")
        try FileManager.default.removeItem(atPath: directory.file("templates-last-good.json"))
        await #expect(throws: (any Error).self) { _ = try await Daemon.open(config: config, logger: quietLogger) }
    }

    @Test("varsel serve reloads on SIGHUP and on a file change, and /readyz shows a failed reload")
    func serveReloads() async throws {
        let templates = TemporaryDirectory()
        Fixtures.writeMiniTemplates(templates, sms: "A {{creditor}}\n")
        let directory = TemporaryDirectory()
        let config = directory.write(
            "varsel.yaml", Fixtures.config(storePath: directory.file("varsel.db"), gatewayBase: "http://127.0.0.1:\(closedLoopbackPort())", templates: templates.path))
        let serve = try ChildProcess(arguments: ["serve", "--config", config])
        #expect(await eventually { serve.stderr.contains("ready") })
        let port = serve.announcedPort ?? "0"
        serve.signal(SIGHUP)
        #expect(await eventually { serve.stderr.contains("templates reloaded reason=SIGHUP") }, "\(serve.stderr)")
        templates.write("reminder/en/direct/sms.mustache", "{{/oops}}\n")
        #expect(await eventually { serve.stderr.contains("template error; the last good set stays in force") }, "\(serve.stderr)")
        let client = APIClient(baseURL: "http://127.0.0.1:\(port)", token: nil)
        defer { client.close() }
        func get(_ path: String) async -> (status: Int, text: String) {
            guard let reply = try? await client.send("GET", path) else { return (0, "") }
            return (reply.status, String(decoding: reply.body, as: UTF8.self))
        }
        // The log line and the metrics are written one after the other: wait for both, then look.
        var ready = (status: 0, text: "")
        var failed = ""
        _ = await eventually {
            ready = await get("/readyz")
            failed = await get("/metrics").text
            return ready.text.contains("the last good set is in force") && failed.contains("varsel_template_errors 1")
                && failed.contains(#"varsel_template_reloads_total{result="rejected"} 1"#)
        }
        #expect(ready.status == 200)
        #expect(ready.text.contains("the last good set is in force"), "\(ready.text)")
        #expect(failed.contains("varsel_template_errors 1"), "\(failed)")
        #expect(failed.contains(#"varsel_template_reloads_total{result="rejected"} 1"#), "\(failed)")

        // A good edit is taken up from the directory's change events, and the daemon logs how long it
        // took, from the file's modification time to the new set (not bounded here: machines are shared).
        templates.write("reminder/en/direct/sms.mustache", "D {{creditor}}\n")
        #expect(await eventually { serve.stderr.contains(#"templates reloaded after_ms="#) }, "\(serve.stderr)")
        let applied = serve.stderr.split(separator: "\n").first { $0.contains(#"templates reloaded after_ms="#) }
        let afterMs = applied.flatMap { $0.split(separator: " ").first { $0.hasPrefix("after_ms=") } }.flatMap { Int($0.dropFirst(9)) }
        #expect(try #require(afterMs) >= 0, "\(applied ?? "")")
        // "templates reloaded" is logged just before the metrics are updated: wait for them, then look.
        var fixed = ""
        var readyAgain = ""
        _ = await eventually {
            fixed = await get("/metrics").text
            readyAgain = await get("/readyz").text
            return fixed.contains("varsel_template_errors 0") && readyAgain == #"{"status":"ready"}"#
        }
        #expect(fixed.contains("varsel_template_errors 0"), "\(fixed)")
        #expect(readyAgain == #"{"status":"ready"}"#)
        serve.signal(SIGTERM)
        #expect(await serve.wait() == 0)
    }
}

/// `varsel templates preview` against reviewed snapshots of the shipped Norwegian reminder.
@Suite struct TemplatePreviewTests {
    static func snapshot(_ name: String) throws -> String {
        let url = Paths.packageRoot.appendingPathComponent("Tests/VarselIntegrationTests/Snapshots/\(name)")
        return try String(contentsOf: url, encoding: .utf8)
    }

    @Test("preview of reminder/nb email and SMS with the shipped sample data matches the reviewed snapshots", arguments: ["email", "sms"])
    func matchesSnapshot(channel: String) throws {
        let output = try TemplatePreview.render(directory: Paths.templates, kind: "reminder", channel: channel, locale: "nb-NO", tone: nil, data: nil)
        let expected = try Self.snapshot("preview-reminder-nb-\(channel).txt")
        #expect(output.summary + "\n" == expected, "preview changed; review it and update Tests/VarselIntegrationTests/Snapshots if intended")
        if channel == "email" {
            #expect(output.files["reminder-nb-direct-email.html"]?.contains("<html lang=\"nb\">") == true)
        }
    }

    @Test("a preview that forces UCS-2 names the offending character and its position")
    func offendingCharacter() throws {
        let data = Data(#"{"creditor":"Fjordkraft “AS”","invoice_number":"1","amount":"10","currency":"NOK","due_date":"2026-11-01","deadline":"\#(Fixtures.day(60))","payment_link":"https://pay.example/x"}"#.utf8)
        let output = try TemplatePreview.render(directory: Paths.templates, kind: "reminder", channel: "sms", locale: "en", tone: "direct", data: data)
        #expect(output.summary.contains("sms: ucs2"))
        #expect(output.summary.contains("UCS-2 forced by U+201C '“' at character 12"))
    }
}

/// `varsel templates check` as an operator runs it.
@Suite struct TemplateCheckCommandTests {
    @Test("the shipped set: exit 0, the SMS table and the coverage matrix on stdout, no problems")
    func shipped() async throws {
        let result = try await ChildProcess.run(["templates", "check", "--dir", Paths.templates])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("reminder/nb/direct/sms") && result.stdout.contains("gsm7"))
        #expect(result.stdout.contains("coverage"))
        #expect(result.stdout.contains("156 template variants, 0 error(s), 0 warning(s)"))
        #expect(result.stderr.isEmpty)
    }

    @Test("a broken edit: exit 1 and DIR/file:line:column: error: message on stderr")
    func broken() async throws {
        let copy = TemporaryDirectory()
        let files = try TemplateSetLoader.readFiles(Paths.templates)
        for (path, text) in files { copy.write(path, text) }
        copy.write("reminder/sv/direct/sms.mustache", files["reminder/sv/direct/sms.mustache"]!.replacingOccurrences(of: "{{amount}}", with: "{{amout}}"))
        let result = try await ChildProcess.run(["templates", "check", "--quiet", "--dir", copy.path])
        #expect(result.status == 1)
        #expect(result.stderr.contains("\(copy.path)/reminder/sv/direct/sms.mustache:1:"), "\(result.stderr)")
        #expect(result.stderr.contains("error: amout is not in the schema of reminder (_schema/reminder.yaml); did you mean amount?"))
        // The misspelt name also leaves the amount unshown, which every reminder must show.
        #expect(result.stderr.contains("sms.mustache:1:1: error: does not show amount, which every reminder sms must show"))
        #expect(result.stderr.contains("2 error(s)"))
        #expect(result.stdout.isEmpty)
    }
}

/// The template directory's change events (inotify), below the reloader.
@Suite struct DirectoryWatchTests {
    @Test("edits, new files and files in directories made after the watch began are reported")
    func reportsChanges() async throws {
        let directory = TemporaryDirectory()
        directory.write("reminder/en/direct/sms.mustache", "A\n")
        let changes = Mutex(0)
        let watch = try #require(DirectoryWatch(directory: directory.path) { changes.withLock { $0 += 1 } })
        defer { watch.stop() }
        func changed(after action: () throws -> Void) async throws -> Bool {
            // Let any event of the step before arrive first, so this step's own event is counted.
            try await Task.sleep(for: .milliseconds(100))
            let before = changes.withLock { $0 }
            try action()
            return await eventually(timeout: .seconds(60)) { changes.withLock { $0 } > before }
        }
        #expect(try await changed { directory.write("reminder/en/direct/sms.mustache", "B\n") }, "an edit")
        #expect(try await changed { directory.write("reminder/en/direct/email.subject.mustache", "S\n") }, "a new file")
        #expect(try await changed { try FileManager.default.createDirectory(atPath: directory.file("reminder/nb"), withIntermediateDirectories: true) },
                "a new directory")
        #expect(try await changed { directory.write("reminder/nb/sms.mustache", "C\n") }, "a file in the new directory")
        #expect(try await changed { try FileManager.default.removeItem(atPath: directory.file("reminder/nb/sms.mustache")) }, "a removal")
    }
}
