import Foundation
import Testing
import VarselCore
import VarselTemplates
import VarselTestSupport

/// The compiled renderer against swift-mustache: the same content, byte for byte, for every shipped
/// template and for seeded random templates of every tag kind, whitespace and value shape.
@Suite struct CompiledRenderingTests {
    static let shipped: TemplateSet = try! TemplateSetLoader.load(from: Paths.templates)

    /// Both engines' results; equal contents, or the same failure.
    /// Whether both rendered (rather than both failed alike).
    @discardableResult
    static func expectSameRendering(
        _ set: TemplateSet, _ message: MessageRequest, plan: Plan, experiment: String? = nil, _ comment: @autoclosure () -> String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> Bool {
        let compiled = set.render(message, messageID: "msg-1", plan: plan, experiment: experiment, engine: .compiled)
        let library = set.render(message, messageID: "msg-1", plan: plan, experiment: experiment, engine: .swiftMustache)
        switch (compiled, library) {
        case (.success(let a), .success(let b)):
            #expect(a == b, "\(comment())", sourceLocation: sourceLocation)
            return true
        case (.failure(let a), .failure(let b)):
            #expect(a.reason == b.reason, "\(comment())", sourceLocation: sourceLocation)
        default:
            Issue.record("one engine failed, the other did not: \(compiled) / \(library) — \(comment())", sourceLocation: sourceLocation)
        }
        return false
    }

    @Test("every shipped template and partial is rendered by the compiled walk, not by swift-mustache")
    func shippedCompile() {
        #expect(Self.shipped.partsRenderedBySwiftMustache.isEmpty)
    }

    @Test("a template with a transform or inheritance is rendered by swift-mustache, the others of its locale by the compiled walk")
    func fallback() throws {
        let set = try TemplateSet(directory: "t", files: [
            "reminder/en/direct/sms.mustache": "{{uppercased(creditor)}} {{amount}}",
            "reminder/en/direct/email.subject.mustache": "Reminder",
            "reminder/en/direct/email.text.mustache": "{{<frame}}{{$body}}Pay {{amount}}{{/body}}{{/frame}}",
            "reminder/en/direct/email.html.mustache": "<p>{{amount}}</p>",
            "_partials/frame.mustache": "Hello\n{{$body}}default{{/body}}\nBye",
        ])
        #expect(set.partsRenderedBySwiftMustache == ["reminder/en/direct/email.text.mustache", "reminder/en/direct/sms.mustache"])
        let message = Self.message(data: ["creditor": .string("Fjordkraft AS"), "amount": .string("1250.00"), "currency": .string("NOK")])
        guard case .success(let sms) = set.render(message, messageID: "m", plan: Self.plan(.sms)) else {
            Issue.record("sms did not render")
            return
        }
        #expect(sms.text.hasPrefix("FJORDKRAFT AS NOK"))
        guard case .success(let email) = set.render(message, messageID: "m", plan: Self.plan(.email)) else {
            Issue.record("email did not render")
            return
        }
        #expect(email.text.hasPrefix("Hello\nPay NOK") && email.text.hasSuffix("1,250.00\nBye\n"))
        #expect(email.html?.hasPrefix("<p>NOK") == true)
    }

    @Test("a partial starts over with HTML escaping whatever the template including it had switched to, as swift-mustache does")
    func partialEscaping() throws {
        let set = try TemplateSet(directory: "t", files: [
            "reminder/en/direct/letter.html.mustache": "{{% CONTENT_TYPE: TEXT }}<p>{{creditor}}</p>\n  {{> line}}\n",
            "_partials/line.mustache": "{{creditor}}\n{{% CONTENT_TYPE: TEXT }}{{creditor}}\n",
        ])
        let message = Self.message(data: ["creditor": .string("Smith & <Sons>"), "amount": .string("1.00"), "currency": .string("EUR")])
        guard case .success(let letter) = set.render(message, messageID: "m", plan: Self.plan(.letter)) else {
            Issue.record("letter did not render")
            return
        }
        #expect(letter.html == "<p>Smith & <Sons></p>\n  Smith &amp; &lt;Sons&gt;\n  Smith & <Sons>\n")
        Self.expectSameRendering(set, message, plan: Self.plan(.letter), "partial escaping")
    }

    static func plan(_ channel: Channel, locale: String = "en", tone: Tone = .direct) -> Plan {
        Plan(kind: "reminder", channel: channel, locale: locale, tone: tone, decisions: [])
    }

    static func message(kind: String = "reminder", data: [String: JSONValue]) -> MessageRequest {
        let recipient = Recipient(
            name: "Kari <Nordmann> & Co", locale: "en", country: "NO", phone: "+4791234567", email: "kari@example.no",
            address: PostalAddress(lines: ["Storgata 1", "c/o \"Ola\""], postalCode: "0155", city: "Oslo", country: "NO"))
        return MessageRequest(kind: kind, caseRef: "inv-10023", recipient: recipient, data: data)
    }

    @Test("every shipped variant renders the same both ways: sample data, with and without payment details of each scheme")
    func shippedParity() throws {
        var samples: [String: MessageRequest] = [:]
        for kind in Self.shipped.kinds {
            let url = URL(fileURLWithPath: Paths.templates).appendingPathComponent("_samples/\(kind).json")
            samples[kind] = try MessageValidator(kinds: [kind: KindRule(name: kind)]).validate(json: Array(Data(contentsOf: url))).get()
        }
        let payments: [[String: String]?] = [
            nil,
            ["scheme": "kid", "reference": "1234567890128", "account": "86011117947"],
            ["scheme": "fi_ref", "reference": "15118 90656", "iban": "FI21 1234 5600 0007 85", "bic": "NDEAFIHH"],
        ]
        var compared = 0
        for key in Self.shipped.keys {
            guard var message = samples[key.kind] else { continue }
            for payment in payments {
                message.data["payment"] = payment.map { .object($0.mapValues { .string($0) }) }
                let plan = Self.plan(key.channel, locale: key.locale, tone: key.tone)
                Self.expectSameRendering(Self.shipped, message, plan: plan, "\(key) payment \(payment?["scheme"] ?? "none")")
                for variant in Self.shipped.experimentVariants(of: key) {
                    Self.expectSameRendering(Self.shipped, message, plan: plan, experiment: variant, "\(key) variant \(variant)")
                }
                compared += 1
            }
        }
        #expect(compared > 300)
    }

    @Test("4,000 seeded random templates with partials render the same both ways")
    func randomParity() async throws {
        var generator = SeededRandom(seed: 0x7e3a_11c5)
        var rendered = 0
        for round in 0..<4_000 {
            // Seconds of CPU in all: let the other tests' tasks run in between (two cooperative threads).
            if round % 20 == 0 { await Task.yield() }
            var random = RandomTemplate(generator: generator)
            let main = random.template(depth: 0, partialsFrom: 0)
            // Partial pK includes only partials after it: no partial includes itself.
            let partials = (0..<3).map { random.template(depth: 1, partialsFrom: $0 + 1) }
            let data = random.data()
            generator = random.generator
            var files = [
                "reminder/en/direct/email.subject.mustache": "Subject {{creditor}}",
                "reminder/en/direct/email.text.mustache": main,
                "reminder/en/direct/email.html.mustache": main,
                "reminder/en/direct/letter.html.mustache": main,
                "reminder/en/direct/sms.mustache": main,
            ]
            for (index, partial) in partials.enumerated() { files["_partials/p\(index).mustache"] = partial }
            let set: TemplateSet
            do {
                set = try TemplateSet(directory: "t", files: files)
            } catch {
                // A random template swift-mustache refuses is refused for both engines alike.
                continue
            }
            let message = Self.message(data: data)
            for channel in Channel.allCases {
                if Self.expectSameRendering(set, message, plan: Self.plan(channel), "round \(round) \(channel): \(main.debugDescription) partials \(partials)") {
                    rendered += 1
                }
            }
        }
        // Most rounds render (the rest read a missing variable and fail alike): the comparison is not empty.
        #expect(rendered > 2_000)
    }
}

/// A random Mustache template over a small vocabulary of names, with the tags, whitespace and line
/// shapes where renderers differ: standalone and inline tags, indented partials, CRLF, delimiters.
struct RandomTemplate {
    var generator: SeededRandom

    /// Names a tag may print: never a whole object, whose description swift-mustache prints in
    /// hash order (`.` only inside a section over a text or a list of scalars, `rows` only as a section).
    static let printed = ["creditor", "amount", "flag", "off", "text", "name", "items", "obj.name", "obj.inner.deep", "missing", "items.0", ".name", "rows.text"]
    static let sections = ["creditor", "flag", "off", "text", "items", "empty", "obj", "rows", "obj.inner", "missing", "name"]

    mutating func pick<T>(_ choices: [T]) -> T { choices[Int.random(in: 0..<choices.count, using: &generator)] }

    mutating func template(depth: Int, partialsFrom: Int, dot: Bool = false) -> String {
        var out = ""
        for _ in 0..<Int.random(in: 1...8, using: &generator) { out += piece(depth: depth, partialsFrom: partialsFrom, dot: dot) }
        return out
    }

    mutating func piece(depth: Int, partialsFrom: Int, dot: Bool) -> String {
        let indent = pick(["", "", " ", "  ", "\t"])
        let names = Self.printed + (dot ? ["."] : [])
        switch Int.random(in: 0..<14, using: &generator) {
        case 0: return pick(["Hello ", "a < b & \"c\" 'd'", "é", "x\n", "\r\n", "  \n", "line\n  next", "{ not a tag }", "}}"])
        case 1: return "{{" + pick(names) + "}}"
        case 2: return "{{{" + pick(names) + "}}}"
        case 3: return "{{& " + pick(names) + " }}"
        case 4, 5:
            guard depth < 3 else { return "{{text}}" }
            let name = pick(Self.sections)
            let sigil = pick(["#", "^"])
            let standalone = Bool.random(using: &generator)
            let open = indent + "{{\(sigil)\(name)}}" + (standalone ? "\n" : "")
            let close = (standalone ? indent : "") + "{{/\(name)}}" + (standalone ? "\n" : "")
            // Inside a section over a text or a list of scalars `.` is a scalar (a flag pushes nothing,
            // an inverted section keeps the top, or pushes an empty list).
            let scalarTop = sigil == "#" ? ["creditor", "items"].contains(name) : dot
            return open + template(depth: depth + 1, partialsFrom: partialsFrom, dot: scalarTop) + close
        case 6:
            guard partialsFrom < 3 else { return "{{> absent}}" }
            return indent + "{{> p\(Int.random(in: partialsFrom...2, using: &generator))}}" + pick(["\n", "", " tail\n", "\r\n"])
        case 7: return indent + "{{! a comment }}" + pick(["\n", ""])
        case 8: return "\n" + indent
        case 9: return indent + "{{=<% %>=}}" + pick(["\n", ""]) + "<%creditor%><%={{ }}=%>"
        case 10: return "{{% CONTENT_TYPE: TEXT }}"
        case 11: return "{{% CONTENT_TYPE: HTML }}"
        case 12: return indent + "{{text}}" + pick(["\n", " ", ""])
        default: return pick([" ", "\n", "\t", "-"])
        }
    }

    mutating func scalar() -> JSONValue {
        pick([
            .string("Fjord <kraft> & \"AS\""), .string("a'b&c"), .string("plain"), .string(""), .bool(true), .bool(false), .number(42), .null,
            .string("e\u{301}<\u{301}"),
        ])
    }

    mutating func data() -> [String: JSONValue] {
        var data: [String: JSONValue] = [
            "creditor": .string("Fjordkraft AS"), "amount": .string("1250.00"), "currency": .string("NOK"),
        ]
        for name in ["flag", "off", "text", "name"] where Bool.random(using: &generator) { data[name] = scalar() }
        if Bool.random(using: &generator) { data["items"] = .array((0..<Int.random(in: 0...3, using: &generator)).map { _ in scalar() }) }
        if Bool.random(using: &generator) { data["rows"] = .array((0..<Int.random(in: 0...3, using: &generator)).map { _ in row() }) }
        if Bool.random(using: &generator) { data["empty"] = .array([]) }
        if Bool.random(using: &generator) { data["obj"] = Bool.random(using: &generator) ? scalar() : row() }
        return data
    }

    mutating func row() -> JSONValue {
        Bool.random(using: &generator)
            ? .object(["name": scalar(), "inner": .object(["deep": scalar()])])
            : .object(["text": scalar(), "flag": scalar()])
    }
}
