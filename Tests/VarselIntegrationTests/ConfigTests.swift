import Foundation
import Testing
import VarselCore
import VarselDaemon
import VarselGateways
import VarselStore
import VarselTestSupport

/// Configuration: YAML over defaults, environment over both, every problem named by its key.
@Suite struct ConfigTests {
    static let minimal = """
        channels:
          sms: { gateways: [sms-main] }
        gateways:
          sms-main: { type: http-json, url: "https://sms.example/v1/messages", from: Fjordkraft }
        """

    static func errors(_ yaml: String, environment: [String: String] = [:]) -> [String] {
        do {
            _ = try ConfigLoader.load(yaml: yaml, baseDirectory: "/etc/varsel", environment: environment)
            return []
        } catch let error as ConfigErrors {
            return error.errors.map(\.description)
        } catch {
            return ["\(error)"]
        }
    }

    @Test("defaults fill what the file leaves out; relative paths resolve beside the file")
    func defaults() throws {
        let config = try ConfigLoader.load(yaml: Self.minimal + "\nstore: { path: data/varsel.db }", baseDirectory: "/etc/varsel")
        #expect(config.server.host == "127.0.0.1" && config.server.port == 8480)
        #expect(config.store.path == "/etc/varsel/data/varsel.db")
        #expect(config.store.synchronous == .full)
        #expect(config.templates.directory == "/etc/varsel/templates")
        #expect(config.plans.directory == "/etc/varsel/plans")
        #expect(config.dispatch.channelOrder == [.sms, .email, .letter])
        #expect(config.planning.availableChannels == [.sms])
        #expect(config.planning.kinds["collection_notice"]?.allowedChannels == [.email, .letter])
        #expect(config.planning.toneByCountry["IN"] == .indirect)
    }

    @Test("plans.dir: relative to the file like templates.dir, from the environment too; other keys under plans are refused")
    func plansDirectory() throws {
        let relative = try ConfigLoader.load(yaml: Self.minimal + "\nplans: { dir: my-plans }", baseDirectory: "/etc/varsel")
        #expect(relative.plans.directory == "/etc/varsel/my-plans")
        #expect(relative.plans.dir == relative.plans.directory)
        let overridden = try ConfigLoader.load(yaml: Self.minimal, baseDirectory: "/etc/varsel", environment: ["VARSEL_PLANS_DIR": "/srv/plans"])
        #expect(overridden.plans.directory == "/srv/plans")
        #expect(Self.errors(Self.minimal + "\nplans: { folder: x }").contains { $0.hasPrefix("plans.folder: unknown key; expected one of: dir") })
        #expect(Self.errors(Self.minimal + "\nplans: { dir: \"\" }") == ["plans.dir: required"])
    }

    @Test("every key can be overridden from the environment, lists included")
    func environment() throws {
        let config = try ConfigLoader.load(yaml: Self.minimal, baseDirectory: "/", environment: [
            "VARSEL_SERVER_PORT": "9000", "VARSEL_GATEWAYS_SMS_MAIN_URL": "https://other.example/sms",
            "VARSEL_DISPATCH_CHANNEL_ORDER": "[email, sms]", "VARSEL_STORE_PATH": "/var/tmp/x.db",
        ])
        #expect(config.server.port == 9000)
        #expect(config.gateways["sms-main"]?.url == "https://other.example/sms")
        #expect(config.dispatch.channelOrder == [.email, .sms])
        #expect(config.store.path == "/var/tmp/x.db")
    }

    @Test("problems are named by key: unknown keys, channels and gateway types, missing URL, bad numbers")
    func namedProblems() {
        let errors = Self.errors("""
            dispatch: { chanel_order: [sms], max_in_flight: 0 }
            channels:
              fax: { gateways: [sms-main] }
              sms: { gateways: [nowhere] }
            gateways:
              sms-main: { type: carrier-pigeon }
            """)
        #expect(errors.contains { $0.hasPrefix("dispatch.chanel_order: unknown key") })
        #expect(errors.contains { $0.hasPrefix("dispatch.max_in_flight: expected a whole number") })
        #expect(errors.contains { $0.hasPrefix("channels.fax: unknown channel") })
        #expect(errors.contains { $0.hasPrefix("channels.sms.gateways[0]: no gateway named 'nowhere'") })
        #expect(errors.contains { $0.hasPrefix("gateways.sms-main.type: unknown gateway type 'carrier-pigeon'") })
        #expect(errors.contains { $0 == "gateways.sms-main.url: required" })
    }

    @Test("experiments: kind, channel and at least two weights, one experiment per kind and channel; each problem named by its key")
    func experiments() throws {
        let config = try ConfigLoader.load(
            yaml: Self.minimal + "\nexperiments: { sms-wording: { kind: reminder, channel: sms, weights: { a: 70, b: 30 } } }\n", baseDirectory: "/etc/varsel")
        let experiment = try #require(config.planning.experiments.experiment(kind: "reminder", channel: .sms))
        #expect(experiment.name == "sms-wording" && experiment.weights.map(\.variant) == ["a", "b"] && experiment.totalWeight == 100)
        #expect(config.planning.experiments.experiment(kind: "reminder", channel: .email) == nil)
        let errors = Self.errors(Self.minimal + """

            experiments:
              one: { kind: remindr, channel: fax, weights: { a: 1 } }
              two: { kind: reminder, channel: sms, weights: { a: 0, B: 1 } }
              three: { kind: reminder, channel: email, weights: { a: 0, b: 0 }, colour: red }
              four: { kind: reminder, channel: email, weights: [a, b] }
              five: { channel: sms }
            """)
        #expect(errors.contains { $0.hasPrefix("experiments.one.kind: no kind named 'remindr'") }, "\(errors)")
        #expect(errors.contains { $0.hasPrefix("experiments.one.channel: use sms, email or letter") })
        #expect(errors.contains { $0.hasPrefix("experiments.one.weights: name at least two variants") })
        #expect(errors.contains { $0.hasPrefix("experiments.two.weights.B: a variant name is") })
        #expect(errors.contains { $0.hasPrefix("experiments.three.colour: unknown key") })
        #expect(errors.contains { $0.hasPrefix("experiments.three.weights: at least one weight must be above 0") })
        #expect(errors.contains { $0.hasPrefix("experiments.four.weights: expected a mapping") })
        #expect(errors.contains { $0.hasPrefix("experiments.four: experiments.three already splits reminder by email") })
        #expect(errors.contains { $0 == "experiments.five.kind: required" })
        #expect(errors.contains { $0.hasPrefix("experiments.five.weights: required") })
    }

    @Test("secrets are refused in the YAML and read from files or the environment, never echoed")
    func secrets() throws {
        let inline = Self.errors(Self.minimal.replacingOccurrences(of: "from: Fjordkraft", with: "from: Fjordkraft, token: abc123"))
        #expect(inline.contains { $0.hasPrefix("gateways.sms-main.token: secrets are never read from the YAML file") })
        #expect(!inline.joined().contains("abc123"))
        let missing = Self.errors(Self.minimal.replacingOccurrences(of: "from: Fjordkraft", with: "from: Fjordkraft, token_env: SMS_TOKEN"))
        #expect(missing == ["gateways.sms-main.token_env: environment variable SMS_TOKEN is not set"])
        let config = try ConfigLoader.load(
            yaml: Self.minimal.replacingOccurrences(of: "from: Fjordkraft", with: "from: Fjordkraft, token_env: SMS_TOKEN"),
            baseDirectory: "/", environment: ["SMS_TOKEN": "t0k"])
        #expect(config.gateways["sms-main"]?.bearerToken == "t0k")
        #expect(!EffectiveConfig.describe(config).contains("t0k"))
        #expect(EffectiveConfig.describe(config).contains("token: <redacted>"))
        let directory = TemporaryDirectory()
        directory.write("creds/sms-token", "from-credentials\n")
        let fromCredentials = try ConfigLoader.load(
            yaml: Self.minimal.replacingOccurrences(of: "from: Fjordkraft", with: "from: Fjordkraft, token_file: sms-token"),
            baseDirectory: "/", environment: ["CREDENTIALS_DIRECTORY": directory.file("creds")])
        #expect(fromCredentials.gateways["sms-main"]?.bearerToken == "from-credentials")
        // The unit hands over /etc/varsel/credentials as one directory credential, `varsel_<file>`.
        directory.write("dir-creds/varsel_sms-token", "from-the-directory\n")
        let fromDirectory = try ConfigLoader.load(
            yaml: Self.minimal.replacingOccurrences(of: "from: Fjordkraft", with: "from: Fjordkraft, token_file: sms-token"),
            baseDirectory: "/", environment: ["CREDENTIALS_DIRECTORY": directory.file("dir-creds")])
        #expect(fromDirectory.gateways["sms-main"]?.bearerToken == "from-the-directory")
    }

    @Test("commands that never send load the configuration without its secrets (run as the service user); serve and config check need them")
    func secretsSkipped() throws {
        let directory = TemporaryDirectory()
        let yaml = Self.minimal.replacingOccurrences(of: "from: Fjordkraft", with: "from: Fjordkraft, token_file: not-here")
        let path = directory.write("varsel.yaml", yaml)
        #expect(throws: (any Error).self) { try ConfigLoader.load(path: path, environment: [:]) }
        let skipped = try ConfigLoader.load(path: path, environment: [:], secrets: .skip)
        #expect(skipped.gateways["sms-main"]?.bearerToken == "<not read>")
    }

    @Test("a lease shorter than a gateway timeout is refused, so a slow send cannot lose its lease")
    func leaseLongerThanTimeout() {
        let errors = Self.errors(Self.minimal.replacingOccurrences(of: "from: Fjordkraft", with: "from: Fjordkraft, timeout_ms: 60000") + "\ndispatch: { lease_seconds: 30 }")
        #expect(errors.contains { $0.hasPrefix("dispatch.lease_seconds: must be longer than gateways.sms-main.timeout_ms") })
    }

    @Test("a configuration with no channel at all is refused")
    func noChannels() {
        #expect(Self.errors("server: { port: 1 }").contains { $0.hasPrefix("channels: no channel has a gateway") })
    }

    @Test("collection_rules: a country's numbers over the shipped table; a creditor's override applied when stricter, refused naming the key when looser")
    func collectionRules() throws {
        let yaml = Self.minimal + """

            collection_rules:
              countries:
                "NO": { fee_cap: "30.00", sources: { fee_cap: "our own policy" } }
                IS: { notice_minimum_days: 10 }
              creditors:
                Strict AS:
                  "NO": { notice_minimum_days: 21, notice_channels: { email: consent } }
            """
        let config = try ConfigLoader.load(yaml: yaml, baseDirectory: "/etc/varsel")
        let rules = config.planning.collectionRules
        #expect(rules.countries["NO"]?.feeCap == "30.00")
        #expect(rules.countries["NO"]?.noticeMinimumDays == 14, "the shipped number stays where the file says nothing")
        #expect(rules.countries["NO"]?.source("fee_cap") == " (our own policy)")
        #expect(rules.countries["IS"]?.noticeMinimumDays == 10)
        #expect(rules.rules(country: "NO", creditor: "Strict AS")?.noticeMinimumDays == 21)
        #expect(rules.rules(country: "NO", creditor: "Strict AS")?.feeCap == "30.00")
        #expect(rules.rules(country: "NO", creditor: "Other AS")?.noticeMinimumDays == 14)

        let looser = Self.errors(Self.minimal + """

            collection_rules:
              creditors:
                Loose AS:
                  DK: { fee_cap: "150.00", fee_reminders_max: 5, fee_reminders_min_days_apart: 5 }
                  XX: { notice_minimum_days: 3 }
            """)
        for key in ["fee_cap", "fee_reminders_max", "fee_reminders_min_days_apart"] {
            #expect(looser.contains("collection_rules.creditors.Loose AS.DK.\(key): a creditor's rules may only be stricter than DK's, never looser"), "\(looser)")
        }
        #expect(looser.contains { $0.hasPrefix("collection_rules.creditors.Loose AS.XX: no rules for XX") })
        let bad = Self.errors(Self.minimal + """

            collection_rules: { countries: { "NO": { notice_counts_from: arrival, fee_cap: lots, notice_channels: { email: sometimes } } } }
            """)
        #expect(bad.contains { $0.hasPrefix("collection_rules.countries.NO.notice_counts_from: use sending or presumed_receipt") })
        #expect(bad.contains { $0.hasPrefix("collection_rules.countries.NO.fee_cap:") })
        #expect(bad.contains { $0.hasPrefix("collection_rules.countries.NO.notice_channels.email: use always, never, used_address or consent") })
    }
}
