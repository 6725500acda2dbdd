import Foundation
import Logging
import Synchronization
import VarselCore
import VarselHTTP
import VarselStore
import VarselTemplates

/// `varsel demo --plans`: simulated collection. A few thousand Norwegian cases are created over the
/// first 30 of 60 simulated days from a plan with a learned send hour and an SMS wording experiment;
/// the real daemon (SQLite store, dispatcher, contact windows, sandbox gateway on loopback) sends
/// their steps on a fast clock, synthetic debtors (`PaymentModel`) pay, payments stop cases, and the
/// outcome report is printed at the end.
public enum PlanDemo {
    public struct Settings: Sendable {
        public var cases = 2000
        public var days = 60
        /// Cases are created on the first this many days.
        public var creationDays = 30
        public var seed: UInt64 = 2027

        public init(cases: Int = 2000, seed: UInt64 = 2027) {
            self.cases = cases
            self.seed = seed
        }
    }

    /// The simulated time: Monday 1 March 2027, 06:00 UTC.
    static let start = RFC3339.parseTimestamp("2027-03-01T06:00:00Z")!

    static let planYAML = """
        name: demo-no
        country: "NO"
        about: Varsel's simulated plan - two reminders and a collection notice, each step at a learned hour.
        timing: learned
        steps:
          - { name: reminder-1, kind: reminder, after: { due_date: 7 }, channels: [sms, email] }
          - { name: reminder-2, kind: reminder, after: { previous: 14 }, channels: [sms, email] }
          - { name: notice, kind: collection_notice, after: { previous: 14 }, channels: [letter], deadline_days: 14 }
        """

    static let variantB = "{{creditor}}: {{amount}} for faktura {{invoice_number}}, forfalt {{due_date}}, er ikke betalt. Betal innen {{deadline}}: {{payment_link}}"

    /// Returns true when every send fell inside the contact window.
    public static func run(
        templatesDirectory: String, settings: Settings = Settings(), print: @escaping @Sendable (String) -> Void, logger: Logger
    ) async throws -> Bool {
        let began = ContinuousClock.now
        let workspace = FileManager.default.temporaryDirectory.appendingPathComponent("varsel-plan-demo-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: workspace, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: workspace) }
        let sandbox = SandboxGateway()
        try await sandbox.start()
        do {
            let result = try await simulate(templatesDirectory, workspace: workspace, sandbox: sandbox, settings: settings, print: print, logger: logger)
            await sandbox.stop()
            print(String(format: "\nSimulated %d days in %.1f s of real time.", settings.days, Double((ContinuousClock.now - began).components.seconds)
                + Double((ContinuousClock.now - began).components.attoseconds) / 1e18))
            return result
        } catch {
            await sandbox.stop()
            throw error
        }
    }

    private static func simulate(
        _ templatesDirectory: String, workspace: URL, sandbox: SandboxGateway, settings: Settings, print: @escaping @Sendable (String) -> Void, logger: Logger
    ) async throws -> Bool {
        // The shipped templates with a shorter Norwegian SMS as variant b, and the demo's plan.
        let templates = workspace.appendingPathComponent("templates")
        var files = try TemplateSetLoader.readFiles(templatesDirectory)
        files["reminder/nb/direct/sms.b.mustache"] = variantB
        for (path, text) in files {
            let url = templates.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
        let plansDirectory = workspace.appendingPathComponent("plans")
        try FileManager.default.createDirectory(at: plansDirectory, withIntermediateDirectories: true)
        try Data(planYAML.utf8).write(to: plansDirectory.appendingPathComponent("demo-no.yaml"))
        let base = sandbox.baseURL
        let yaml = """
            store: { path: \(workspace.appendingPathComponent("varsel.db").path), synchronous: normal }
            templates: { dir: "\(templates.path)", default_locale: en }
            plans: { dir: "\(plansDirectory.path)", learn_paid_within_days: 7 }
            dispatch: { channel_order: [sms, email, letter], worker_id: plan-demo, poll_interval_ms: 50, max_in_flight: 128 }
            policy: { frequency_cap: { enabled: false } }
            experiments: { sms-wording: { kind: reminder, channel: sms, weights: { a: 50, b: 50 } } }
            """ + Demo.sandboxRoutes(base)
        var config = try ConfigLoader.load(yaml: yaml, baseDirectory: workspace.path)
        // The clock runs fast: the counts a learned hour reads are read again once a simulated day.
        config.plans.learnRefresh = 86_400
        let clock = SimulatedClock(start)
        // The demo's own template copy lacks variant b outside nb on purpose: those warnings are not news.
        var daemonLogger = logger
        daemonLogger.logLevel = max(logger.logLevel, .error)
        let components = try await Daemon.open(config: config, logger: daemonLogger, now: { clock.now })
        defer { components.client.shutdown() }
        let store = components.store
        let (plans, _) = try PlanSetLoader.loadChecked(directory: plansDirectory.path, rules: config.planning.collectionRules, kinds: config.planning.kinds)
        let validator = MessageValidator(
            kinds: config.planning.kinds, collectionRules: config.planning.collectionRules, dataChecking: components.templates.dataChecking, now: { clock.now })
        let caseStops = CaseStopPolicy(kinds: config.planning.kinds)
        let model = PaymentModel.standard
        var rng = SeededRandom(seed: settings.seed &+ 1)

        print("Varsel plan demo: \(settings.cases) simulated Norwegian cases over \(settings.days) days (created on the first \(settings.creationDays)), seed \(settings.seed).")
        print("Plan demo-no, timing: learned (Thompson sampling over the contact window's hours, learning from sends paid within 7 days):")
        for line in planYAML.split(separator: "\n").filter({ $0.contains("- {") }) { print("  " + line.trimmingCharacters(in: .whitespaces)) }
        print("Experiment sms-wording: reminders by SMS split 50/50 between the shipped text (a) and a shorter one (b), by case_ref.")
        print("Synthetic payment model:")
        for line in model.description { print("  " + line) }
        print("The real daemon sends every step (store, dispatcher, contact windows, sandbox gateway on loopback) on a fast clock.\n")

        let end = start.addingTimeInterval(Double(settings.days) * 86_400)
        let perDay = max(1, settings.cases / settings.creationDays)
        var created = 0
        var day = 0
        var seenRequests = 0
        var counted: Set<String> = []
        var payer: Set<String> = []
        var pending: [(at: Date, caseRef: String)] = []
        var lastRead = start
        var now = start
        while now < end {
            clock.set(now)
            // New cases at 07:00 UTC on each creation day.
            while day < settings.creationDays, start.addingTimeInterval(Double(day) * 86_400 + 3600) <= now {
                let count = day == settings.creationDays - 1 ? settings.cases - created : min(perDay, settings.cases - created)
                for _ in 0..<max(0, count) {
                    created += 1
                    try await createCase(
                        number: created, now: now, plans: plans, validator: validator, windows: config.contactWindows, store: store, caseStops: caseStops, rng: &rng)
                }
                day += 1
            }
            // Payments that are due.
            pending.sort { $0.at < $1.at }
            while let first = pending.first, first.at <= now {
                pending.removeFirst()
                _ = try await store.recordCaseEvent(CaseEventRequest(caseRef: first.caseRef, type: .paid, at: first.at), caseStops: caseStops, now: now)
            }
            await components.dispatcher.run(untilIdle: true)
            // What went out since the last look: each debtor may pay.
            if sandbox.received.count > seenRequests {
                seenRequests = sandbox.received.count
                for message in try await store.sentMessages(from: lastRead, to: now.addingTimeInterval(1)) where counted.insert(message.id).inserted {
                    guard let caseRef = message.caseRef, !payer.contains(caseRef) else { continue }
                    let hour = Int(OutcomeDimension.hour.value(of: message)) ?? 0
                    if let at = model.payment(channel: message.channel, hour: hour, variant: message.variant, sentAt: message.sentAt, using: &rng) {
                        payer.insert(caseRef)
                        pending.append((at, caseRef))
                    }
                }
                lastRead = now
            }
            // On to the next thing that happens: a message due, a payment, a day's new cases.
            var next = [end]
            if let ready = try await store.nextReadyAt() { next.append(ready) }
            if let payment = pending.map(\.at).min() { next.append(payment) }
            if day < settings.creationDays { next.append(start.addingTimeInterval(Double(day) * 86_400 + 3600)) }
            now = min(end, max(now.addingTimeInterval(60), next.min()!))
        }
        clock.set(end)
        return try await report(store: store, config: config, model: model, print: print)
    }

    /// One simulated case: a Norwegian debtor with an amount, due a week ago, on the demo's plan.
    private static func createCase(
        number: Int, now: Date, plans: [String: CollectionPlan], validator: MessageValidator, windows: ContactWindows, store: any MessageStore,
        caseStops: CaseStopPolicy, rng: inout SeededRandom
    ) async throws {
        let phone = String(format: "+4791%06d", number)
        let contact = Double.random(in: 0..<1, using: &rng)
        var recipient: [String: JSONValue] = [
            "name": .string("Debitor \(number)"), "country": .string("NO"), "locale": .string("nb-NO"),
            "email": .string("debitor\(number)@example.no"),
            "address": .object(["lines": .array([.string("Storgata \(number % 200 + 1)")]), "postal_code": .string("0155"), "city": .string("Oslo"), "country": .string("NO")]),
        ]
        if contact < 0.75 { recipient["phone"] = .string(phone) }
        let amount = String(format: "%.2f", Double(Int.random(in: 200...8000, using: &rng)))
        let due = ValueRules.today(now.addingTimeInterval(-7 * 86_400), in: TimeZone(identifier: "Europe/Oslo")!)
        let body: JSONValue = .object([
            "case_ref": .string(String(format: "SIM-%05d", number)), "plan": .string("demo-no"), "recipient": .object(recipient),
            "data": .object([
                "creditor": .string("Fjordkraft AS"), "invoice_number": .string(String(format: "%06d", 100_000 + number)), "amount": .string(amount),
                "currency": .string("NOK"), "due_date": .string(due.description), "payment_link": .string("https://pay.example/\(number)"),
            ]),
        ])
        let built = try CaseBuilder(validator: validator).build(body, plans: plans, stored: [:], now: now, learnedWithin: windows).get()
        _ = try await store.createCase(
            caseRef: built.caseRef, plan: built.plan.name, requestHash: built.requestHash, steps: built.steps, caseStops: caseStops, now: now)
    }

    /// The outcome report of the whole run, the learned hour week by week, and the window check.
    private static func report(store: any MessageStore, config: VarselConfig, model: PaymentModel, print: @Sendable (String) -> Void) async throws -> Bool {
        let end = start.addingTimeInterval(60 * 86_400)
        let counts = try await store.countByState()
        print("Messages: " + MessageState.allCases.compactMap { state in counts[state].map { "\(state.rawValue) \($0)" } }.joined(separator: ", "))
        for dimensions in [[OutcomeDimension.step], [.channel], [.channel, .variant], [.hour]] {
            let query = OutcomeQuery(dimensions: dimensions, paidWithinDays: 14, from: start, to: end, attribution: .last)
            print("\n" + OutcomeFormat.table(try await query.run(store), query: query))
        }
        let messages = try await store.sentMessages(from: start, to: end)
        let zone = TimeZone(identifier: "Europe/Oslo")!
        let outside = messages.filter { !config.contactWindows.isAllowed($0.sentAt, country: $0.country, timeZone: zone) }
        let best = Set(model.bestHours)
        print("\nLearned send hour: share of sends at the model's best hours (\(model.bestHours.map { String(format: "%02d:00", $0) }.joined(separator: ", "))), by week of the send.")
        print("The dispatcher chooses each step's hour on the step's day, from the outcomes of sends at least 7 days old (learn_paid_within_days).")
        print("  week   all sends  at best   reminders by SMS  at best")
        let byWeek = Dictionary(grouping: messages) { Int($0.sentAt.timeIntervalSince(start) / (7 * 86_400)) + 1 }
        func share(_ sends: [SentMessage]) -> String {
            guard !sends.isEmpty else { return "     -" }
            let atBest = sends.filter { best.contains(Int(OutcomeDimension.hour.value(of: $0)) ?? -1) }.count
            return String(format: "%5.1f%%", Double(atBest) / Double(sends.count) * 100)
        }
        for week in byWeek.keys.sorted() {
            let sends = byWeek[week]!
            let reminders = sends.filter { $0.kind == "reminder" && $0.channel == .sms }
            print(String(format: "  %4d   %9d   %@   %16d   %@", week, sends.count, share(sends), reminders.count, share(reminders)))
        }
        print("Every send inside the debtor's contact window: \(outside.isEmpty ? "yes" : "NO"), \(messages.count - outside.count) of \(messages.count).")
        return outside.isEmpty
    }
}

/// The demo's clock: the daemon reads it, the simulation moves it.
final class SimulatedClock: Sendable {
    private let value: Mutex<Date>
    init(_ start: Date) { value = Mutex(start) }
    var now: Date { value.withLock { $0 } }
    func set(_ date: Date) { value.withLock { $0 = date } }
}
