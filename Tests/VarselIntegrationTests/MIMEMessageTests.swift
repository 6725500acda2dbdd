import Crypto
import Foundation
import Testing
import VarselCore
import VarselGateways
import VarselTemplates
import VarselTestSupport

/// The SMTP message builder, checked against an independent parser: every rendered message is
/// written to a file and read back by Python 3's `email` package (`email.policy.default`), and
/// what it finds is compared with what went in. The wire rules (CRLF only, lines of at most 998
/// octets) are checked on the bytes themselves.
@Suite("MIME messages")
struct MIMEMessageTests {
    static let date = Date(timeIntervalSince1970: 1_767_600_550)  // Mon, 05 Jan 2026 08:09:10 +0000
    static let sender = MailAddress(name: "Fjordkraft Kundeservice", address: "krav@fjordkraft.example")
    static let recipient = MailAddress(name: "Kari Nordmann", address: "kari@example.no")

    static func message(
        subject: String = "Payment reminder", text: String = "Hello,\nyour invoice is due.\n", html: String? = nil,
        to: [MailAddress] = [recipient], replyTo: MailAddress? = nil, messageID: String = "01JGZ8Q4Y7T1@fjordkraft.example",
        attachments: [MIMEMessage.Attachment] = [], extraHeaders: [(name: String, value: String)] = []
    ) -> MIMEMessage {
        MIMEMessage(
            from: sender, to: to, replyTo: replyTo, subject: subject, date: date, messageID: messageID, text: text, html: html,
            attachments: attachments, extraHeaders: extraHeaders)
    }

    // MARK: - Whole messages through Python's parser

    @Test("an ASCII-only text message: every header and the text come back, sent as 7bit")
    func asciiOnly() async throws {
        let message = Self.message(replyTo: MailAddress(name: nil, address: "svar@fjordkraft.example"))
        let bytes = message.render()
        let parsed = try await Self.checkedParse(bytes)
        #expect(parsed.subject == "Payment reminder")
        #expect(parsed.from == [.init(name: "Fjordkraft Kundeservice", address: "krav@fjordkraft.example")])
        #expect(parsed.to == [.init(name: "Kari Nordmann", address: "kari@example.no")])
        #expect(parsed.replyTo == [.init(name: "", address: "svar@fjordkraft.example")])
        #expect(parsed.messageID == "<01JGZ8Q4Y7T1@fjordkraft.example>")
        #expect(parsed.date == Self.date.timeIntervalSince1970)
        #expect(parsed.dateText == "Mon, 05 Jan 2026 08:09:10 +0000")
        #expect(parsed.structure == ["text/plain"])
        #expect(parsed.text.map(Self.unixLines) == "Hello,\nyour invoice is due.\n")
        #expect(parsed.html == nil)
        #expect(parsed.attachments.isEmpty)
        let head = Self.head(bytes)
        #expect(head.hasSuffix("\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 7bit"))
        #expect(!head.contains("=?"))
        #expect(Self.fieldNames(bytes) == [
            "Date", "From", "To", "Reply-To", "Subject", "Message-ID", "MIME-Version", "Content-Type", "Content-Transfer-Encoding",
        ])
    }

    @Test(
        "Norwegian, Swedish, Danish and Finnish letters and emoji in the subject, names and text round-trip",
        arguments: [
            ("Påminnelse: faktura 2026-001 forfaller snart", "Kåre Ødegård", "Hei Kåre,\nfakturaen på 1 250,00 kr forfaller 15. januar.\n"),
            ("Påminnelse om obetald faktura – förfallodag i övermorgon", "Åsa Öberg", "Hej Åsa,\ndin faktura är förfallen.\n"),
            ("Rykker: betal før fristen, ellers går sagen videre", "Søren Ærø", "Kære Søren,\nbeløbet skal være betalt.\n"),
            ("Muistutus: erääntynyt lasku – maksathan pian", "Äijä Öörni", "Hei,\nlasku on erääntynyt. Kiitos!\n"),
            ("🧾 Faktura 💸 forfaller 👨‍👩‍👧‍👦🏳️‍🌈", "🦊 Rev", "Emoji 🧾💸 i teksten, og Æ Ø Å æ ø å.\n"),
        ])
    func nordicAndEmoji(subject: String, name: String, text: String) async throws {
        let message = Self.message(subject: subject, text: text, to: [MailAddress(name: name, address: "kunde@example.no")])
        let bytes = message.render()
        let parsed = try await Self.checkedParse(bytes, headerLimit: 78)
        #expect(parsed.subject == subject)
        #expect(parsed.to == [.init(name: name, address: "kunde@example.no")])
        #expect(parsed.text.map(Self.unixLines) == text)
        // The non-ASCII went as encoded-words and quoted-printable, not as raw UTF-8.
        #expect(bytes.allSatisfy { $0 < 0x80 })
        #expect(Self.head(bytes).contains("Content-Transfer-Encoding: quoted-printable"))
        #expect(!parsed.encodedWords.isEmpty)
        for word in parsed.encodedWords {
            #expect(word.length <= 75)
            #expect(word.validUTF8, "an encoded-word that is not whole UTF-8 characters: \(word.text)")
        }
    }

    @Test("an address with a non-ASCII local part is kept as UTF-8 (SMTPUTF8), its domain still punycode")
    func utf8LocalPart() throws {
        let address = try #require(MailAddress(parsing: "Kåre <kåre@bølgen.no>"))
        #expect(!address.isASCII)
        #expect(address.addrSpec == "kåre@xn--blgen-vua.no")
        let bytes = Self.message(to: [address]).render()
        Self.checkWire(bytes, headerLimit: 78, sourceLocation: #_sourceLocation)
        #expect(Self.head(bytes).contains("\r\nTo: =?UTF-8?B?S8OlcmU=?= <kåre@xn--blgen-vua.no>\r\n"))
    }

    @Test("a 300-character subject is folded into lines of at most 78 and decodes to the input exactly")
    func longSubject() async throws {
        var subject = ""
        let pieces = ["Påminnelse", "om", "faktura", "🧾", "nr.", "2026-0042", "från", "Fjordkraft", "–", "beløp", "æøå", "ÆØÅ",
                      "äöÄÖ", "👩‍👩‍👧", "due", "soon", "(=?not-encoded?=)", "Ålesund", "Törnävä"]
        var index = 0
        while subject.count < 300 {
            subject += (subject.isEmpty ? "" : " ") + pieces[index % pieces.count]
            index += 1
        }
        subject = String(subject.prefix(300))
        #expect(subject.count == 300)
        let bytes = Self.message(subject: subject).render()
        let parsed = try await Self.checkedParse(bytes, headerLimit: 78)
        #expect(parsed.subject == subject)
        let subjectLines = Self.fieldLines(bytes, "Subject")
        #expect(subjectLines.count > 4)
        for word in parsed.encodedWords {
            #expect(word.length <= 75)
            #expect(word.validUTF8, "an encoded-word that is not whole UTF-8 characters: \(word.text)")
        }
        // An ASCII-only subject of the same length is folded at its spaces without encoding.
        let ascii = String(String(repeating: "Reminder about invoice 2026-0042 from Fjordkraft, ", count: 6).prefix(298)) + "!!"
        let asciiBytes = Self.message(subject: ascii).render()
        let asciiParsed = try await Self.checkedParse(asciiBytes, headerLimit: 78)
        #expect(asciiParsed.subject == ascii)
        #expect(asciiParsed.encodedWords.isEmpty)
    }

    @Test("subjects whose spaces or characters would be lost unencoded come back exactly")
    func awkwardSubjects() async throws {
        let subjects = [
            "  leading spaces", "trailing space ", "two  spaces", "tab\there", "a =?UTF-8?Q?fake?= word", "question? and_underscore=",
            "", "=?", "ends with emoji 🧾",
        ]
        for subject in subjects {
            let bytes = Self.message(subject: subject).render()
            let parsed = try await Self.checkedParse(bytes, headerLimit: 78)
            #expect(parsed.subject == subject, "subject \(subject.debugDescription)")
        }
        // A long ASCII word (a URL, an id) stays as it is on a line longer than 78, up to the 998
        // limit; a longer one is encoded in words that fold.
        let url = "https://fjordkraft.example/betal?faktura=2026-0042&kunde=" + String(repeating: "k", count: 120)
        let urlBytes = Self.message(subject: "Betal her: " + url, extraHeaders: [("X-Payment-Link", url)]).render()
        let urlParsed = try await Self.checkedParse(urlBytes)
        #expect(urlParsed.subject == "Betal her: " + url)
        #expect(urlParsed.header("X-Payment-Link") == url)
        #expect(urlParsed.encodedWords.isEmpty)
        let huge = String(repeating: "x", count: 2_000)
        let hugeBytes = Self.message(subject: huge).render()
        let hugeParsed = try await Self.checkedParse(hugeBytes, headerLimit: 78)
        #expect(hugeParsed.subject == huge)
        #expect(hugeParsed.encodedWords.allSatisfy { $0.length <= 75 })
    }

    @Test("display names with commas, quotes, backslashes, dots and non-ASCII are quoted or encoded")
    func displayNames() async throws {
        let names = ["Doe, Jane", "Ola \"Olsen\" Nordmann", "Back\\slash", "J. R. Hartley", "Nordmann, Kåre", "(Kari) <Nordmann>@x:y;z[]"]
        let to = names.enumerated().map { MailAddress(name: $0.element, address: "k\($0.offset)@example.no") }
        let bytes = Self.message(to: to).render()
        let parsed = try await Self.checkedParse(bytes, headerLimit: 78)
        #expect(parsed.to == to.map { .init(name: $0.name!, address: $0.address) })
        let head = Self.head(bytes)
        #expect(head.contains("\"Doe, Jane\" <k0@example.no>"))
        #expect(head.contains("\"J. R. Hartley\""))
        #expect(head.contains(#""Back\\slash""#))
        #expect(head.contains(#""Ola \"Olsen\" Nordmann""#))
    }

    @Test("MailAddress parses the three forms, refuses what is not an address, and knows when SMTPUTF8 is needed")
    func parsingAddresses() async throws {
        #expect(MailAddress(parsing: "Fjordkraft Kundeservice <krav@fjordkraft.example>")
            == MailAddress(name: "Fjordkraft Kundeservice", address: "krav@fjordkraft.example"))
        #expect(MailAddress(parsing: "\"Doe, Jane\" <j@x.example>") == MailAddress(name: "Doe, Jane", address: "j@x.example"))
        #expect(MailAddress(parsing: "\"Ola \\\"O\\\" N\" <o@x.example>") == MailAddress(name: "Ola \"O\" N", address: "o@x.example"))
        #expect(MailAddress(parsing: "  krav@x.example ") == MailAddress(name: nil, address: "krav@x.example"))
        #expect(MailAddress(parsing: "<krav@x.example>") == MailAddress(name: nil, address: "krav@x.example"))
        #expect(MailAddress(parsing: "Kåre Ødegård <kare@bølgen.no>") == MailAddress(name: "Kåre Ødegård", address: "kare@bølgen.no"))
        for bad in [
            "", "krav", "krav@", "Jane <not an address>", "\"Unclosed <a@b.example>", "a@b.example\r\nBcc: x@y.example",
            "Jane <a@b.example>\nBcc: x@y.example", "Ja<ne <a@b.example>", "a b@c.example", "Jane <a@b.example",
        ] {
            #expect(MailAddress(parsing: bad) == nil, "accepted \(bad.debugDescription)")
        }

        let idn = try #require(MailAddress(parsing: "Kari <kari@bølgen.no>"))
        #expect(idn.isASCII)
        #expect(idn.addrSpec == "kari@xn--blgen-vua.no")
        let utf8Local = try #require(MailAddress(parsing: "ære@bølgen.no"))
        #expect(!utf8Local.isASCII)
        #expect(MailAddress(name: nil, address: "john doe@x.example").addrSpec == "\"john doe\"@x.example")

        // The punycode domain is what the parser sees in the rendered message.
        let bytes = Self.message(to: [idn]).render()
        let parsed = try await Self.checkedParse(bytes)
        #expect(parsed.to == [.init(name: "Kari", address: "kari@xn--blgen-vua.no")])
    }

    @Test("text and HTML make multipart/alternative with the text first and the HTML last")
    func textAndHTML() async throws {
        let html = "<html><body><p>Hei Kåre,</p>\n<p>Beløp: <b>1&nbsp;250,00&nbsp;kr</b> — forfall 15.01.</p></body></html>\n"
        let text = "Hei Kåre,\nBeløp: 1 250,00 kr — forfall 15.01.\n"
        let bytes = Self.message(text: text, html: html).render()
        let parsed = try await Self.checkedParse(bytes, headerLimit: 78)
        #expect(parsed.structure == ["multipart/alternative", "text/plain", "text/html"])
        #expect(parsed.text.map(Self.unixLines) == text)
        #expect(parsed.html.map(Self.unixLines) == html)
    }

    @Test("an inline image and a PDF with a non-ASCII name make mixed(related(alternative, image), pdf)")
    func inlineImageAndAttachment() async throws {
        let png = Self.pseudoRandomBytes(count: 3_000, seed: 7)
        let pdf = Self.pseudoRandomBytes(count: 10_001, seed: 11)
        let longName = "Påminnelse – faktura 2026-0042 for Kåre Ødegård, Ålesund (kopi 2 av 3) 🧾.pdf"
        let attachments = [
            MIMEMessage.Attachment(filename: "logo.png", contentType: "image/png", data: png, contentID: "logo@fjordkraft.example"),
            MIMEMessage.Attachment(filename: "Faktura æøå.pdf", contentType: "application/pdf", data: pdf),
            MIMEMessage.Attachment(filename: longName, contentType: "application/pdf", data: Array(pdf.prefix(100))),
            MIMEMessage.Attachment(
                filename: "a \"quoted\" name; with = signs.txt", contentType: "text/plain; charset=UTF-8", data: Array("hei\r\n".utf8)),
            MIMEMessage.Attachment(filename: "weird.bin", contentType: "not a type", data: []),
        ]
        let html = "<p>Hei!</p><img src=\"cid:logo@fjordkraft.example\" alt=\"Fjordkraft\">\n"
        let bytes = Self.message(html: html, attachments: attachments).render()
        let parsed = try await Self.checkedParse(bytes, headerLimit: 78)
        #expect(parsed.structure == [
            "multipart/mixed", "multipart/related", "multipart/alternative", "text/plain", "text/html", "image/png",
            "application/pdf", "application/pdf", "text/plain", "application/octet-stream",
        ])
        #expect(parsed.html.map(Self.unixLines) == html)
        #expect(parsed.text.map(Self.unixLines) == "Hello,\nyour invoice is due.\n")
        #expect(parsed.attachments == [
            .init("logo.png", "image/png", id: "<logo@fjordkraft.example>", "inline", png),
            .init("Faktura æøå.pdf", "application/pdf", "attachment", pdf),
            .init(longName, "application/pdf", "attachment", Array(pdf.prefix(100))),
            .init("a \"quoted\" name; with = signs.txt", "text/plain", "attachment", Array("hei\r\n".utf8)),
            .init("weird.bin", "application/octet-stream", "attachment", []),
        ])
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains("filename*=UTF-8''Faktura%20%C3%A6%C3%B8%C3%A5.pdf"))
        #expect(text.contains("filename*0*=UTF-8''"))  // the long name in RFC 2231 continuations
        #expect(text.contains("multipart/related; type=\"multipart/alternative\";"))
        // Base64 lines are 76 characters (the last of each part may be shorter).
        let base64Lines = Self.lines(bytes).filter { $0.count == 76 && $0.allSatisfy { Self.isBase64Character($0) } }
        #expect(base64Lines.count >= (png.count + pdf.count) * 4 / 3 / 76 - 2)
    }

    @Test("inline parts of a message without HTML go into multipart/mixed, still inline")
    func inlineWithoutHTML() async throws {
        let png = Self.pseudoRandomBytes(count: 500, seed: 3)
        let bytes = Self.message(attachments: [.init(filename: "logo.png", contentType: "image/png", data: png, contentID: "logo")]).render()
        let parsed = try await Self.checkedParse(bytes)
        #expect(parsed.structure == ["multipart/mixed", "text/plain", "image/png"])
        #expect(parsed.attachments == [.init("logo.png", "image/png", id: "<logo>", "inline", png)])
    }

    @Test("CR and LF in any header value cannot start a header line of their own")
    func headerInjection() async throws {
        let message = Self.message(
            subject: "Hei\r\nBcc: evil@attacker.example",
            text: "Body\n",
            to: [MailAddress(name: "Kari\r\nBcc: evil@attacker.example", address: "kari@example.no\r\nX-Injected-To: 1")],
            replyTo: MailAddress(name: "Svar\nX-Injected-Reply: 1", address: "svar@example.no"),
            messageID: "abc@x.example>\r\nX-Injected-Id: 1",
            attachments: [
                .init(
                    filename: "a.pdf\r\nX-Injected-File: 1", contentType: "application/pdf\r\nX-Injected-Type: 1", data: [1, 2, 3],
                    contentID: nil),
            ],
            extraHeaders: [
                ("X-Varsel-Message-Id", "m-1\r\nX-Injected-Extra: 1"),
                ("X-Bad\r\nX-Injected-Name", "v"),
                ("X-Lone-CR", "a\rX-Injected-CR: 1"),
                ("X-Lone-LF", "a\nX-Injected-LF: 1 æøå"),
            ])
        let bytes = message.render()
        let parsed = try await Self.checkedParse(bytes, headerLimit: 78)
        let names = parsed.headers.map { $0[0].lowercased() }
        #expect(!names.contains("bcc"))
        #expect(!names.contains { $0.hasPrefix("x-injected") })
        #expect(parsed.subject == "Hei Bcc: evil@attacker.example")
        #expect(parsed.to.first?.name == "Kari Bcc: evil@attacker.example")
        #expect(parsed.header("X-Varsel-Message-Id") == "m-1 X-Injected-Extra: 1")
        #expect(parsed.header("X-Lone-CR") == "a X-Injected-CR: 1")
        #expect(parsed.header("X-Lone-LF") == "a X-Injected-LF: 1 æøå")
        #expect(parsed.header("X-BadX-Injected-Name") == "v")
        #expect(parsed.attachments.first?.filename == "a.pdf X-Injected-File: 1")
        // No line of the header section starts with an injected field name.
        for line in Self.head(bytes).components(separatedBy: "\r\n") {
            #expect(!line.hasPrefix("Bcc") && !line.hasPrefix("X-Injected"), "injected line \(line)")
        }
    }

    @Test("extra headers keep their order, non-ASCII values are encoded, fields the builder writes are not duplicated")
    func extraHeaders() async throws {
        let bytes = Self.message(extraHeaders: [
            ("X-Varsel-Message-Id", "01JGZ8Q4Y7T1"),
            ("X-Varsel-Tenant", "Fjordkraft Ålesund 🧾"),
            ("List-Unsubscribe", "<mailto:stopp@fjordkraft.example?subject=stopp>"),
            ("Subject", "second subject"),
            ("content-type", "text/html"),
            ("", "nameless"),
        ]).render()
        let parsed = try await Self.checkedParse(bytes, headerLimit: 78)
        #expect(parsed.header("X-Varsel-Message-Id") == "01JGZ8Q4Y7T1")
        #expect(parsed.header("X-Varsel-Tenant") == "Fjordkraft Ålesund 🧾")
        #expect(parsed.header("List-Unsubscribe") == "<mailto:stopp@fjordkraft.example?subject=stopp>")
        #expect(Self.fieldNames(bytes) == [
            "Date", "From", "To", "Subject", "Message-ID", "MIME-Version", "X-Varsel-Message-Id", "X-Varsel-Tenant",
            "List-Unsubscribe", "Content-Type", "Content-Transfer-Encoding",
        ])
        #expect(parsed.subject == "Payment reminder")
    }

    @Test("lines of 1000+ characters without spaces survive quoted-printable with soft breaks of at most 76")
    func longLines() async throws {
        let text = String(repeating: "x", count: 1_500) + "\n" + String(repeating: "é=", count: 700) + "\n"
            + String(repeating: "a", count: 75) + " \n" + String(repeating: "b", count: 76) + "\n" + String(repeating: "🧾", count: 300)
        let html = "<p>" + String(repeating: "Ø", count: 1_200) + "</p>"
        let bytes = Self.message(text: text, html: html).render()
        let parsed = try await Self.checkedParse(bytes, headerLimit: 78)
        #expect(parsed.text.map(Self.unixLines) == text)
        #expect(parsed.html.map(Self.unixLines) == html)
        let body = Self.lines(bytes).drop { !$0.isEmpty }
        for line in body {
            #expect(line.count <= 76)
            // Soft breaks fall between characters: each line decodes to whole UTF-8 characters.
            #expect(String(validating: Self.decodeQuotedPrintableLine(line), as: UTF8.self) != nil,
                    "line splits a character: \(String(decoding: line, as: UTF8.self))")
        }
    }

    @Test("lines starting with '.' or 'From ' survive, and none is sent as such")
    func dotsAndFrom() async throws {
        let text = ".\n.hidden\nFrom here on, pay.\n..\nFrom\nFromage\n. \nFrom the start\n"
        let html = "<pre>\n.\nFrom me\n</pre>\n"
        for (text, html) in [(text, nil), (text, html), (".", nil), ("From ", nil)] as [(String, String?)] {
            let bytes = Self.message(text: text, html: html).render()
            let parsed = try await Self.checkedParse(bytes)
            #expect(parsed.text.map(Self.unixLines) == text)
            #expect(parsed.html.map(Self.unixLines) == html)
            let body = Self.lines(bytes).drop { !$0.isEmpty }
            for line in body {
                #expect(!line.starts(with: Array("From ".utf8)) && line.first != UInt8(ascii: "."))
            }
        }
    }

    @Test("text is normalised to CRLF line ends; a text without a final line break gains none")
    func lineEnds() async throws {
        for text in ["one\ntwo\r\nthree\rfour", "no final break", "final break\n", "", "\n\n", "trailing spaces   \nand\ttab\t"] {
            let bytes = Self.message(text: text).render()
            let parsed = try await Self.checkedParse(bytes)
            let expected = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
            #expect(parsed.text.map(Self.unixLines) == expected, "text \(text.debugDescription)")
        }
    }

    @Test("rendering is deterministic: the same message gives the same bytes, another Message-ID other boundaries")
    func determinism() async throws {
        let attachments = [
            MIMEMessage.Attachment(
                filename: "logo.png", contentType: "image/png", data: Self.pseudoRandomBytes(count: 900, seed: 1), contentID: "logo"),
            MIMEMessage.Attachment(
                filename: "Faktura æøå.pdf", contentType: "application/pdf", data: Self.pseudoRandomBytes(count: 2_000, seed: 2)),
        ]
        let message = Self.message(subject: "Påminnelse 🧾", html: "<p>Hei</p><img src=\"cid:logo\">", attachments: attachments)
        let first = message.render()
        let second = message.render()
        #expect(first == second)
        let copy = Self.message(subject: "Påminnelse 🧾", html: "<p>Hei</p><img src=\"cid:logo\">", attachments: attachments)
        #expect(copy.render() == first)

        var other = message
        other.messageID = "01JGZ8Q4Y7T2@fjordkraft.example"
        #expect(Self.boundaries(other.render()).isDisjoint(with: Self.boundaries(first)))
        #expect(Self.boundaries(first).count == 3)
        _ = try await Self.checkedParse(first)
    }

    @Test("a boundary never occurs in what it encloses, even when the text holds the boundary it would get")
    func boundaryAvoidsContent() async throws {
        let message = Self.message(html: "<p>Hei</p>")
        let boundary = try #require(Self.boundaries(message.render()).first)
        var colliding = message
        colliding.text = "--\(boundary)\nContent-Type: text/plain\n\nnot a part\n--\(boundary)--\n"
        let bytes = colliding.render()
        #expect(!Self.boundaries(bytes).contains(boundary))
        let parsed = try await Self.checkedParse(bytes)
        #expect(parsed.structure == ["multipart/alternative", "text/plain", "text/html"])
        #expect(parsed.text.map(Self.unixLines) == colliding.text)
        #expect(colliding.render() == bytes)
    }

    @Test("an empty recipient list is the empty group undisclosed-recipients:;")
    func noRecipients() async throws {
        let bytes = Self.message(to: []).render()
        #expect(Self.head(bytes).contains("\r\nTo: undisclosed-recipients:;\r\n"))
        let parsed = try await Self.checkedParse(bytes)
        #expect(parsed.to.isEmpty)
    }

    // MARK: - The encoders on their own

    @Test("quoted-printable: = escaped, trailing white space encoded, soft breaks at 76, CRLF normalised")
    func quotedPrintable() {
        #expect(QuotedPrintable.encode("a=b") == "a=3Db")
        #expect(QuotedPrintable.encode("end \nend\t") == "end=20\r\nend=09")
        #expect(QuotedPrintable.encode("a\rb\nc\r\nd\n") == "a\r\nb\r\nc\r\nd\r\n")
        #expect(QuotedPrintable.encode("blåbær") == "bl=C3=A5b=C3=A6r")
        #expect(QuotedPrintable.encode(".\nFrom x\nFromage") == "=2E\r\n=46rom x\r\nFromage")
        #expect(QuotedPrintable.encode(String(repeating: "a", count: 76)) == String(repeating: "a", count: 76))
        #expect(QuotedPrintable.encode(String(repeating: "a", count: 77)) == String(repeating: "a", count: 75) + "=\r\naa")
        // An escape is never split by a soft break.
        let encoded = QuotedPrintable.encode(String(repeating: "a", count: 74) + "æ")
        #expect(encoded == String(repeating: "a", count: 74) + "=\r\n=C3=A6")
        for line in QuotedPrintable.encode(String(repeating: "ø x=", count: 500)).components(separatedBy: "\r\n") {
            #expect(line.utf8.count <= 76)
        }
        #expect(QuotedPrintable.isPlain7Bit("Hello,\nplain text.\n"))
        #expect(!QuotedPrintable.isPlain7Bit("blåbær"))
        #expect(!QuotedPrintable.isPlain7Bit("trailing \n"))
        #expect(!QuotedPrintable.isPlain7Bit("From me\n"))
        #expect(!QuotedPrintable.isPlain7Bit(String(repeating: "a", count: 77)))
    }

    @Test("encoded-words are at most 75 characters and never split a character")
    func encodedWords() throws {
        let text = String(repeating: "👨‍👩‍👧‍👦æ🏳️‍🌈ø", count: 20)
        for encoding in [EncodedWord.Encoding.base64, .quoted] {
            let words = EncodedWord.encode(text, encoding: encoding)
            #expect(words.count > 1)
            var decoded = ""
            for word in words {
                #expect(word.count <= 75)
                let bytes = try #require(Self.decodeEncodedWord(word))
                let piece = try #require(String(validating: bytes, as: UTF8.self))
                decoded += piece
            }
            #expect(decoded == text)
        }
        #expect(EncodedWord.encode("Kåre, ?=_", encoding: .quoted) == ["=?UTF-8?Q?K=C3=A5re=2C_=3F=3D=5F?="])
        #expect(EncodedWord.encode("🧾", encoding: .base64) == ["=?UTF-8?B?8J+nvg==?="])
        #expect(EncodedWord.preferredEncoding(for: "Påminnelse") == .quoted)
        #expect(EncodedWord.preferredEncoding(for: "🧾💸👨‍👩‍👧") == .base64)
        #expect(EncodedWord.encode("").isEmpty)
    }

    @Test("the Date header is RFC 5322 in UTC with English names", arguments: [
        (1_767_600_550.9, "Mon, 05 Jan 2026 08:09:10 +0000"),
        (1_709_164_800, "Thu, 29 Feb 2024 00:00:00 +0000"),
        (946_684_799, "Fri, 31 Dec 1999 23:59:59 +0000"),
        (0, "Thu, 01 Jan 1970 00:00:00 +0000"),
        (-1, "Wed, 31 Dec 1969 23:59:59 +0000"),
        (4_107_542_400, "Mon, 01 Mar 2100 00:00:00 +0000"),
    ] as [(Double, String)])
    func dates(seconds: Double, expected: String) {
        var message = Self.message()
        message.date = Date(timeIntervalSince1970: seconds)
        #expect(Self.head(message.render()).hasPrefix("Date: \(expected)\r\n"))
    }

    // MARK: - data: images made inline parts

    @Test("an HTML data: image becomes a multipart/related part with a Content-ID, the HTML refers to it by cid:, and its bytes are the image's")
    func dataImageBecomesInlinePart() async throws {
        let png = Self.pseudoRandomBytes(count: 2_000, seed: 5)
        let base64 = Data(png).base64EncodedString()
        // The same image twice (once with its slashes escaped as a template might), a data: URI that
        // is not an image, and a data-src attribute: only the two images change, into one part.
        let escaped = base64.replacingOccurrences(of: "/", with: "&#x2F;")
        let html = """
            <p>Maksa QR-koodilla</p>
            <img src="data:image/png;base64,\(base64)" width="135" alt="EPC QR">
            <IMG alt='again' SRC='data:image/png;base64,\(escaped)'>
            <img data-src="data:image/png;base64,\(base64)" src="https://example.com/logo.png" alt="logo">
            <a href="data:text/plain;base64,aGVp">text</a>

            """
        let inline = InlineImages(html: html, domain: "fjordkraft.example")
        let image = try #require(inline.images.first)
        #expect(inline.images.count == 1)
        #expect(image.contentType == "image/png" && image.data == png)
        #expect(image.filename.hasPrefix("image-") && image.filename.hasSuffix(".png"))
        #expect(image.contentID == image.filename + "@fjordkraft.example")
        #expect(inline.html.components(separatedBy: "src=\"cid:\(image.contentID)\"").count == 2)
        #expect(inline.html.contains("SRC='cid:\(image.contentID)'"))
        #expect(inline.html.contains("data-src=\"data:image/png;base64,\(base64)\" src=\"https://example.com/logo.png\""))
        #expect(inline.html.contains("href=\"data:text/plain;base64,aGVp\""))

        let attachments = inline.images.map {
            MIMEMessage.Attachment(filename: $0.filename, contentType: $0.contentType, data: $0.data, contentID: $0.contentID)
        }
        let parsed = try await Self.checkedParse(Self.message(html: inline.html, attachments: attachments).render(), headerLimit: 78)
        #expect(parsed.structure == ["multipart/related", "multipart/alternative", "text/plain", "text/html", "image/png"])
        #expect(parsed.attachments == [.init(image.filename, "image/png", id: "<\(image.contentID)>", "inline", png)])
        #expect(parsed.html.map(Self.unixLines) == inline.html)
        // An HTML without data: images is left exactly as it was.
        #expect(InlineImages(html: "<p><img src=\"cid:logo\"></p>").html == "<p><img src=\"cid:logo\"></p>")
        #expect(InlineImages(html: "<img src=\"data:image/png;base64,%%%\">").images.isEmpty, "data that is not base64 stays")
    }

    @Test("SMTP: a Finnish reminder's EPC QR code goes out as an inline part, not a data: URI, and the part reads back as the payment")
    func smtpSendsQRInline() async throws {
        let set = try TemplateSetLoader.load(from: Paths.templates)
        let data: [String: JSONValue] = [
            "creditor": .string("Fjordkraft AS"), "invoice_number": .string("10023"), "amount": .string("1250.00"), "currency": .string("EUR"),
            "due_date": .string("2026-11-01"), "deadline": .string("2026-12-08"), "payment_link": .string("https://pay.example/abc"),
            "payment": .object(["scheme": .string("fi_ref"), "reference": .string("1511890656"), "iban": .string("FI2112345600000785")]),
        ]
        let recipient = Recipient(name: "Matti Meikäläinen", locale: "fi-FI", country: "FI", email: "matti@example.fi")
        let content = try set.render(
            MessageRequest(kind: "reminder", recipient: recipient, data: data), messageID: "01JQR",
            plan: Plan(kind: "reminder", channel: .email, locale: "fi", tone: .direct, decisions: [])).get()
        let html = try #require(content.html)
        let source = try #require(html.range(of: #"data:image/png;base64,[A-Za-z0-9+/=]+"#, options: .regularExpression))
        let png = Array(try #require(Data(base64Encoded: String(html[source].dropFirst("data:image/png;base64,".count)))))
        #expect(try await ZBar.decodeText(png, symbology: "qrcode")
            == "BCD\n002\n1\nSCT\n\nFjordkraft AS\nFI2112345600000785\nEUR1250.00\n\nRF601511890656")

        var configuration = GatewayConfiguration(name: "mail", kind: .smtp, url: "smtp://127.0.0.1:25", from: "krav@fjordkraft.example")
        configuration.options["starttls"] = "never"
        let message = OutboundMessage(messageID: "01JQR", idempotencyKey: "01JQR.email", recipient: recipient, content: content)
        let bytes = try SMTPAdapter(configuration: configuration).mime(for: message, date: Self.date).render()
        let parsed = try await Self.checkedParse(bytes)
        #expect(parsed.structure == ["multipart/related", "multipart/alternative", "text/plain", "text/html", "image/png"])
        let part = try #require(parsed.attachments.first)
        #expect(parsed.attachments.count == 1 && part.disposition == "inline" && part.sha256 == Self.sha256(png))
        let id = try #require(part.contentID?.dropFirst().dropLast())
        #expect(id.hasSuffix("@fjordkraft.example"))
        #expect(parsed.html?.contains("src=\"cid:\(id)\"") == true)
        #expect(parsed.html?.contains("data:image") == false)
        #expect(parsed.text?.contains("Virtuaaliviivakoodi: 421123456000007850012500000000000000001511890656261208") == true)
    }

    // MARK: - Python's view of a message

    struct Parsed: Decodable {
        struct Mailbox: Decodable, Equatable {
            var name: String
            var address: String
        }

        struct Attachment: Decodable, Equatable {
            var filename: String?
            var contentType: String
            var contentID: String?
            var disposition: String
            var sha256: String

            init(_ filename: String, _ contentType: String, id contentID: String? = nil, _ disposition: String, _ data: [UInt8]) {
                self.filename = filename
                self.contentType = contentType
                self.contentID = contentID
                self.disposition = disposition
                self.sha256 = MIMEMessageTests.sha256(data)
            }
        }

        struct Word: Decodable {
            var text: String
            var length: Int
            var validUTF8: Bool
        }

        var subject: String?
        var from: [Mailbox]
        var to: [Mailbox]
        var replyTo: [Mailbox]?
        var messageID: String?
        var date: Double?
        var dateText: String?
        var text: String?
        var html: String?
        var attachments: [Attachment]
        var structure: [String]
        var headers: [[String]]
        var defects: [String]
        var encodedWords: [Word]

        func header(_ name: String) -> String? {
            headers.first { $0[0].lowercased() == name.lowercased() }?[1]
        }
    }

    static let parser = #"""
        import base64, email, email.policy, email.quoprimime, hashlib, json, re, sys
        raw = open(sys.argv[1], 'rb').read()
        m = email.message_from_bytes(raw, policy=email.policy.default)
        def mailboxes(name):
            h = m[name]
            if h is None:
                return None
            return [{'name': a.display_name, 'address': a.addr_spec} for a in h.addresses]
        def body(kind):
            part = m.get_body(preferencelist=(kind,))
            if part is None or part.get_content_type() != 'text/' + kind:
                return None
            return part.get_content()
        attachments = []
        for part in m.walk():
            if part.is_multipart() or part.get_content_disposition() is None:
                continue
            payload = part.get_payload(decode=True)
            attachments.append({'filename': part.get_filename(), 'contentType': part.get_content_type(),
                'contentID': None if part['content-id'] is None else str(part['content-id']),
                'disposition': part.get_content_disposition(), 'sha256': hashlib.sha256(payload).hexdigest()})
        defects = [repr(d) for part in m.walk() for d in part.defects]
        defects += [k + ': ' + repr(d) for part in m.walk() for (k, v) in part.items() for d in getattr(v, 'defects', ())]
        head = raw.split(b'\r\n\r\n', 1)[0].decode('ascii', 'replace')
        words = []
        for match in re.finditer(r'=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=', head):
            charset, encoding, text = match.groups()
            try:
                if encoding in 'Bb':
                    data = base64.b64decode(text, validate=True)
                else:
                    data = email.quoprimime.header_decode(text).encode('latin-1')
                data.decode('utf-8')
                valid = True
            except Exception:
                valid = False
            words.append({'text': match.group(0), 'length': len(match.group(0)), 'validUTF8': valid})
        date = m['date']
        print(json.dumps({
            'subject': None if m['subject'] is None else str(m['subject']),
            'from': mailboxes('from') or [], 'to': mailboxes('to') or [], 'replyTo': mailboxes('reply-to'),
            'messageID': None if m['message-id'] is None else str(m['message-id']),
            'date': None if date is None else date.datetime.timestamp(), 'dateText': None if date is None else str(date),
            'text': body('plain'), 'html': body('html'), 'attachments': attachments,
            'structure': [p.get_content_type() for p in m.walk()],
            'headers': [[k, str(v)] for (k, v) in m.items()], 'defects': defects, 'encodedWords': words}))
        """#

    /// Checks the wire rules on `bytes`, then parses them with Python's `email` package and checks
    /// that it found no defect. `headerLimit`: the longest a header line may be.
    static func checkedParse(_ bytes: [UInt8], headerLimit: Int = 998, sourceLocation: SourceLocation = #_sourceLocation) async throws -> Parsed {
        checkWire(bytes, headerLimit: headerLimit, sourceLocation: sourceLocation)
        let directory = TemporaryDirectory("mime")
        let path = directory.file("message.eml")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        // Waited for by polling, so no thread that every test's async code shares is held meanwhile;
        // the deadline only ends a broken run.
        let process = try ChildProcess(arguments: ["-c", parser, path], executable: "/usr/bin/python3")
        let status = await process.wait(timeout: .seconds(300))
        try #require(status == 0, "python3 failed (\(status.map(String.init) ?? "did not finish")): \(process.stderr)", sourceLocation: sourceLocation)
        let data = Data(process.stdoutBytes)
        let parsed = try JSONDecoder().decode(Parsed.self, from: data)
        #expect(parsed.defects.isEmpty, "defects: \(parsed.defects)", sourceLocation: sourceLocation)
        return parsed
    }

    /// Every line ends with CRLF (no bare CR or LF anywhere), is at most 998 octets, header lines
    /// at most `headerLimit`; the message is ASCII unless it carries an SMTPUTF8 address.
    static func checkWire(_ bytes: [UInt8], headerLimit: Int, sourceLocation: SourceLocation) {
        #expect(bytes.count >= 2 && bytes.suffix(2) == [0x0D, 0x0A], "message does not end with CRLF", sourceLocation: sourceLocation)
        var index = 0
        var inHeader = true
        var lineStart = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x0D {
                guard index + 1 < bytes.count, bytes[index + 1] == 0x0A else {
                    Issue.record("bare CR at \(index)", sourceLocation: sourceLocation)
                    return
                }
                let length = index - lineStart
                #expect(length <= 998, "line of \(length) octets", sourceLocation: sourceLocation)
                if inHeader {
                    #expect(length <= headerLimit, "header line of \(length): \(String(decoding: bytes[lineStart..<index], as: UTF8.self))",
                            sourceLocation: sourceLocation)
                    if length == 0 { inHeader = false }
                }
                index += 2
                lineStart = index
            } else if byte == 0x0A {
                Issue.record("bare LF at \(index)", sourceLocation: sourceLocation)
                return
            } else {
                index += 1
            }
        }
    }

    // MARK: - Helpers

    static func unixLines(_ text: String) -> String { text.replacingOccurrences(of: "\r\n", with: "\n") }

    static func lines(_ bytes: [UInt8]) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        var line: [UInt8] = []
        var index = 0
        while index < bytes.count {
            if bytes[index] == 0x0D, index + 1 < bytes.count, bytes[index + 1] == 0x0A {
                lines.append(line)
                line = []
                index += 2
            } else {
                line.append(bytes[index])
                index += 1
            }
        }
        if !line.isEmpty { lines.append(line) }
        return lines
    }

    /// The header section, up to and without the blank line.
    static func head(_ bytes: [UInt8]) -> String {
        let text = String(decoding: bytes, as: UTF8.self)
        return String(text[..<(text.range(of: "\r\n\r\n")?.lowerBound ?? text.endIndex)])
    }

    /// The names of the top-level header fields, in order.
    static func fieldNames(_ bytes: [UInt8]) -> [String] {
        head(bytes).components(separatedBy: "\r\n").filter { !$0.hasPrefix(" ") && !$0.hasPrefix("\t") }.compactMap {
            $0.split(separator: ":", maxSplits: 1).first.map(String.init)
        }
    }

    /// The physical lines of one top-level header field.
    static func fieldLines(_ bytes: [UInt8], _ name: String) -> [String] {
        var result: [String] = []
        var inField = false
        for line in head(bytes).components(separatedBy: "\r\n") {
            if line.hasPrefix(" ") || line.hasPrefix("\t") {
                if inField { result.append(line) }
            } else {
                inField = line.hasPrefix(name + ":")
                if inField { result.append(line) }
            }
        }
        return result
    }

    /// The multipart boundaries declared in `bytes`.
    static func boundaries(_ bytes: [UInt8]) -> Set<String> {
        let text = String(decoding: bytes, as: UTF8.self)
        var found: Set<String> = []
        var rest = text[...]
        while let range = rest.range(of: "boundary=\"") {
            let after = rest[range.upperBound...]
            guard let end = after.firstIndex(of: "\"") else { break }
            found.insert(String(after[..<end]))
            rest = after[end...]
        }
        return found
    }

    static func decodeEncodedWord(_ word: String) -> [UInt8]? {
        guard word.hasPrefix("=?UTF-8?"), word.hasSuffix("?="), word.count > 12 else { return nil }
        let encoding = word[word.index(word.startIndex, offsetBy: 8)]
        let payload = word.dropFirst(10).dropLast(2)
        if encoding == "B" { return Data(base64Encoded: String(payload)).map { Array($0) } }
        var bytes: [UInt8] = []
        var index = payload.startIndex
        while index < payload.endIndex {
            let character = payload[index]
            if character == "_" {
                bytes.append(0x20)
                index = payload.index(after: index)
            } else if character == "=" {
                let hexEnd = payload.index(index, offsetBy: 3)
                guard let value = UInt8(payload[payload.index(after: index)..<hexEnd], radix: 16) else { return nil }
                bytes.append(value)
                index = hexEnd
            } else {
                bytes += Array(String(character).utf8)
                index = payload.index(after: index)
            }
        }
        return bytes
    }

    /// One quoted-printable line's octets: `=XX` decoded, a soft break's `=` dropped.
    static func decodeQuotedPrintableLine(_ line: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var index = 0
        while index < line.count {
            if line[index] == UInt8(ascii: "="), index + 2 < line.count,
                let value = UInt8(String(decoding: line[(index + 1)...(index + 2)], as: UTF8.self), radix: 16)
            {
                out.append(value)
                index += 3
            } else if line[index] == UInt8(ascii: "="), index == line.count - 1 {
                index += 1
            } else {
                out.append(line[index])
                index += 1
            }
        }
        return out
    }

    static func isBase64Character(_ byte: UInt8) -> Bool {
        (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39)
            || byte == 0x2B || byte == 0x2F || byte == 0x3D
    }

    static func sha256(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    /// Deterministic bytes covering all 256 values (a 64-bit LCG).
    static func pseudoRandomBytes(count: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        return (0..<count).map { index in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return index < 256 ? UInt8(index) : UInt8(truncatingIfNeeded: state >> 33)
        }
    }
}
