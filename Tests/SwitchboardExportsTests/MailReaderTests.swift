import Foundation
import Testing
import Switchboard
@testable import SwitchboardExports

@Suite struct MailReaderTests {
    func readMbox() throws -> (messages: [Message], failures: [SwitchboardError], statistics: ExportStatistics) {
        try drain(try MboxReader(path: fixture("mail/inbox.mbox")))
    }

    @Test func mboxCountsAddUp() throws {
        let text = try String(contentsOfFile: fixture("mail/inbox.mbox"), encoding: .utf8)
        let fromLines = text.split(separator: "\n", omittingEmptySubsequences: false).filter { $0.hasPrefix("From ") }.count
        let (messages, failures, statistics) = try readMbox()
        #expect(messages.count + failures.count == fromLines)
        #expect(statistics.inputMessages == fromLines)
        #expect(failures.count == 1)
        #expect(failures.first?.message.contains("undecodable part") == true)
        #expect(failures.first?.location?.line == text.split(separator: "\n", omittingEmptySubsequences: false)
            .firstIndex { $0.hasPrefix("From broken@") }.map { $0 + 1 })
    }

    @Test func plainMessageHeadersQuotesAndSignature() throws {
        let message = try #require(try readMbox().messages.first)
        #expect(message.id == "msg1@example.com")
        #expect(message.sender == "Zoé Martin <zoe@example.com>")
        #expect(message.channel == "email")
        #expect(message.source?.line == 1)
        let expected = CivilTime.epochSeconds(year: 2026, month: 11, day: 27, hour: 20, minute: 14, second: 5)
        #expect(message.timestamp == Date(timeIntervalSince1970: TimeInterval(expected)))
        let lines = message.text.split(separator: "\n").map(String.init)
        #expect(lines.first == "Déclaration de sinistre n° 42")
        #expect(message.text.contains("Ma cuisine est inondée depuis ce matin."))
        #expect(message.text.contains("\nFrom the start it was leaking."))  // >From unescaped
        #expect(!message.text.contains("Pouvez-vous"))  // quoted reply gone
        #expect(!message.text.contains("a écrit"))
        #expect(!message.text.contains("06 12 34 56 78"))  // signature gone
    }

    @Test func multipartPrefersPlainQuotedPrintableLatin1() throws {
        let message = try #require(try readMbox().messages.first { $0.id == "msg2@example.org" })
        #expect(message.text.hasPrefix("Windscreen\n"))
        #expect(message.text.contains("cracked (pare-brise fêlé)"))
        #expect(!message.text.contains("HTML version"))
        #expect(!message.text.contains("iPhone"))
        #expect(!message.text.contains("Dear customer"))
        #expect(!message.text.contains("wrote:"))
    }

    @Test func base64Windows1252() throws {
        let message = try #require(try readMbox().messages.first { $0.id == "msg3@example.fr" })
        #expect(message.text.hasPrefix("Résiliation\n"))
        #expect(message.text.contains("résilier mon contrat – merci de me confirmer “rapidement”."))
        #expect(!message.text.contains("Original Message"))
        #expect(!message.text.contains("Sent:"))
    }

    @Test("an HTML part libxml2 stops reading makes the mail a failure, not a message routed on part of its text")
    func htmlPartCutShortIsAFailure() throws {
        let body = "<html><body><p>Bonjour.</p>" + String(repeating: "<div>", count: 300) + "Je veux resilier." + String(repeating: "</div>", count: 300) + "</body></html>"
        let mail = "From: client@example.fr\r\nMessage-ID: <deep@example.fr>\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + body + "\r\n"
        let path = try temporaryFile("deep.eml", Array(mail.utf8))
        let (messages, failures, _) = try drain(try EMLReader(path: path))
        #expect(messages.isEmpty)
        #expect(failures.first?.message.contains("nested too deep") == true, "\(failures)")
    }

    @Test func htmlOnlyMail() throws {
        let message = try #require(try readMbox().messages.first { $0.id == "msg4@example.fr" })
        #expect(message.text.contains("Pouvez-vous m'envoyer une attestation d'assurance ?"))
        #expect(message.text.contains("Merci beaucoup"))
        #expect(!message.text.contains("alert"))
        #expect(!message.text.contains("color"))
        #expect(!message.text.contains("Ancien message"))
    }

    @Test func emlDirectoryReadsEachFileOnce() throws {
        let reader = try EMLReader(path: fixture("mail/eml"))
        #expect(reader.files.count == 2)
        let (messages, failures, statistics) = try drain(reader)
        #expect(statistics.inputMessages == reader.files.count)
        #expect(messages.first?.text.hasPrefix("Résiliation") == true)
        #expect(messages.first?.source?.file.hasSuffix("01-resiliation.eml") == true)
        #expect(failures.count == 1)
        #expect(failures.first?.message.contains("unsupported charset") == true)
        #expect(failures.first?.location?.file.hasSuffix("02-unknown-charset.eml") == true)
    }

    /// Both used to read as nothing at all, with exit status 0.
    @Test func inputsThatAreNotMailboxesAreNotReadAsEmptyOnes() throws {
        let single = try temporaryFile("one.mbox", Array("Subject: sinistre\n\nMa voiture a été volée.\n".utf8))
        let (messages, failures, statistics) = try drain(try MboxReader(path: single))
        #expect(messages.isEmpty)
        #expect(failures.count == 1)
        #expect(failures.first?.location?.line == 1)
        #expect(failures.first?.message.contains("From ") == true)
        #expect(statistics.inputMessages == 1)

        let other = try temporaryFile("export.jsonl", Array(#"{"text": "bonjour"}"#.utf8))
        let directory = URL(fileURLWithPath: other).deletingLastPathComponent().path
        #expect(throws: SwitchboardError.self) { _ = try EMLReader(path: directory) }
        // Beside e-mails, the other files are counted as not messages.
        try FileManager.default.copyItem(atPath: fixture("mail/eml/01-resiliation.eml"), toPath: directory + "/01.eml")
        let mixed = try EMLReader(path: directory)
        #expect(mixed.files.count == 1)
        #expect(mixed.statistics.ignored == 1)
    }

    @Test("an mbox message with a line cut at the line limit is a failure, not routed on part of its text")
    func mboxOverlongLineIsAFailure() throws {
        let mailbox = "From a@b.c Fri Nov 27 21:14:05 2026\nFrom: a@b.c\nSubject: vol\n\nMa voiture \(String(repeating: "x", count: 200))\n\n"
            + "From a@b.c Fri Nov 27 21:15:05 2026\nFrom: a@b.c\nSubject: vol\n\nMa voiture a été volée.\n"
        let reader = MboxReader(lines: LineReader(bytes: Array(mailbox.utf8), name: "inbox.mbox", maxLineLength: 100))
        let (messages, failures, statistics) = try drain(reader)
        #expect(messages.count == 1)
        #expect(failures.map(\.message) == ["line 5 is longer than 100 bytes"])
        #expect(failures.first?.location?.line == 1)
        #expect(statistics.inputMessages == 2)
    }

    @Test("a multipart e-mail whose boundary never appears is read as plain text, not an empty message")
    func multipartWithoutItsBoundaryIsPlainText() throws {
        let mail = "From: a@b.c\nSubject: Claim\nContent-Type: multipart/mixed; boundary=\"XYZ\"\n\nMy car was stolen yesterday.\n"
        let record = MailMessageReader.record(from: Array(mail.utf8)[...], location: SourceLocation(file: "m.eml"), options: ExportOptions())
        #expect(record.message?.text == "Claim\nMy car was stolen yesterday.")
        // With its boundary, only the parts count (the preamble is not the text).
        let split = "From: a@b.c\nSubject: Claim\nContent-Type: multipart/mixed; boundary=\"XYZ\"\n\npreamble\n--XYZ\n\nMa voiture.\n--XYZ--\n"
        let parts = MailMessageReader.record(from: Array(split.utf8)[...], location: SourceLocation(file: "m.eml"), options: ExportOptions())
        #expect(parts.message?.text == "Claim\nMa voiture.")
    }

    @Test("a multipart body with parts under another boundary is a failure, not its raw MIME routed as text")
    func partsUnderAnotherBoundaryAreAFailure() throws {
        let mail = """
            From: a@b.fr\nSubject: resiliation\nMessage-ID: <c1@x>\nContent-Type: multipart/mixed; boundary="XX1"\n\n\
            This is a multi-part message in MIME format.\n--XX2\nContent-Type: text/plain; charset=utf-8\n\n\
            Bonjour, je voudrais resilier mon contrat habitation.\n--XX2\n\
            Content-Type: application/pdf; name="Releve_IBAN_Marie_Curie.pdf"\n\
            Content-Disposition: attachment; filename="Releve_IBAN_Marie_Curie.pdf"\nContent-Transfer-Encoding: base64\n\n\
            JVBERi0xLjQKJcfsj6IK\n--XX2--\n
            """
        let record = MailMessageReader.record(from: Array(mail.utf8)[...], location: SourceLocation(file: "m.eml", line: 3), options: ExportOptions())
        #expect(record.message == nil)
        let error = try #require(record.failure)
        #expect(error.message == "the multipart/mixed body has no part delimited by its declared boundary \"XX1\"")
        #expect(error.location == SourceLocation(file: "m.eml", line: 3))
        // Text with a "-- " signature rule or a "--" line before ordinary lines is still plain text.
        let text = "From: a@b.c\nSubject: Claim\nContent-Type: multipart/mixed; boundary=\"XYZ\"\n\nMy car was stolen.\n--\nZoé\n-- \nContent-Type: none\n--note\nsee below\n"
        let plain = MailMessageReader.record(from: Array(text.utf8)[...], location: SourceLocation(file: "m.eml"), options: ExportOptions())
        #expect(plain.message?.text.hasPrefix("Claim\nMy car was stolen.") == true)
    }

    @Test("an 8-bit body without a charset that is not UTF-8 is read as Windows-1252, as headers are")
    func bodyWithoutCharsetFallsBackToWindows1252() throws {
        let mail = Array("From: a@b.c\nSubject: Demande\n\nJe souhaite r".utf8) + [0xE9] + Array("silier d".utf8) + [0xE8, 0x73, 0x20, 0x93] + Array("vite".utf8) + [0x94, 0x0A]
        let record = MailMessageReader.record(from: mail[...], location: SourceLocation(file: "m.eml"), options: ExportOptions())
        #expect(record.message?.text == "Demande\nJe souhaite résilier dès “vite”")
        // Valid UTF-8 without a charset is still UTF-8; a declared UTF-8 is repaired, not reinterpreted.
        #expect(try MailDecoding.decodeCharset(Array("résilier".utf8), charset: nil) == "résilier")
        #expect(try MailDecoding.decodeCharset([0x72, 0xE9], charset: "utf-8") == "r\u{FFFD}")
        // An HTML part without a MIME charset is read as a page: its <meta charset> counts.
        let cyrillic = Array("From: a@b.c\nSubject: x\nContent-Type: text/html\n\n<html><head><meta charset=\"windows-1251\"></head><body><p>".utf8)
            + [0xCF, 0xF0, 0xE8, 0xE2, 0xE5, 0xF2] + Array("</p></body></html>\n".utf8)
        let part = MailMessageReader.record(from: cyrillic[...], location: SourceLocation(file: "c.eml"), options: ExportOptions())
        #expect(part.message?.text.hasSuffix("Привет") == true, "\(String(describing: part.message?.text))")
        // ISO-8859-1 as mail clients read it (Outlook labels Windows-1252 so): 0x92 is an apostrophe, not U+0092.
        #expect(try MailDecoding.decodeCharset([0x6C, 0x92, 0x61, 0x73, 0x73, 0x75, 0x72, 0xE9], charset: "ISO-8859-1") == "l’assuré")
    }

    /// A page and a mail body read a charset label alike: every alias of Windows-1252 (ISO-8859-1 included) gives
    /// 0x92 as an apostrophe in both, and every alias of UTF-8 repairs the same bytes.
    @Test(arguments: ["windows-1252", "cp1252", "cp-1252", "x-cp1252", "win-1252", "iso-8859-1", "iso8859-1", "iso_8859-1",
                      "latin1", "latin-1", "l1", "iso-ir-100", "cp819", "utf-8", "utf8", "unicode-1-1-utf-8", "x-unicode20utf8",
                      "unicode-2-0-utf-8"])
    func pagesAndMailReadACharsetLabelAlike(label: String) throws {
        let body: [UInt8] = Array("l".utf8) + [0x92] + Array("assur".utf8) + [0xC3, 0xA9]
        let mail = try MailDecoding.decodeCharset(body, charset: label.uppercased())
        let page = HTMLDocumentReader.prepared(Array("<html><head><meta charset=\"\(label)\"></head><body><p>".utf8) + body + Array("</p></body></html>".utf8))
        let pageText = try HTMLText.text(fromHTML: page.bytes, encoding: page.encoding)
        let expected = TextCleaning.charsetLabel(label) == .utf8 ? ["l\u{FFFD}assuré", "l’assuré"] : ["l’assurÃ©"]
        #expect(expected.contains(mail), "\(mail)")
        #expect(pageText.contains(TextCleaning.charsetLabel(label) == .utf8 ? "assuré" : "l’assurÃ©"), "\(pageText)")
        #expect(TextCleaning.charsetLabel(label) != nil)
    }

    @Test("a customer's sentence starting 'Sent via' is kept; short mail-app signatures are still cut")
    func mobileSignaturesAreShortLines() {
        let body = "Hello,\nSent via registered post last week, my cancellation letter was never answered.\nI want to cancel my contract now."
        #expect(MailBodyCleaner.clean(body) == body)
        for signature in ["Sent from my iPhone", "Envoyé de mon iPhone", "Sent via Gmail for Android", "Get Outlook for iOS<https://aka.ms/o0ukef>",
                          "Sent from my Samsung Galaxy smartphone.", "Sent from my LG", "Sent from my Fairphone", "Envoyé de mon Honor",
                          "Envoyé de mon Redmi Note 8", "Sent via BlueMail", "Sent from my Metro by T-Mobile 5G Device", "Sent from my Mi 9"] {
            #expect(MailBodyCleaner.clean("Je veux résilier.\n\n\(signature)\nMerci") == "Je veux résilier.", "\(signature)")
        }
    }

    @Test("a carrier's signature with a comma is cut; a sentence with a clause after a comma is kept")
    func carrierSignaturesWithCommasAreCut() {
        #expect(MailBodyCleaner.clean("Mon dossier n'avance pas.\n\nSent from my Verizon, Samsung Galaxy smartphone\nMerci") == "Mon dossier n'avance pas.")
        for sentence in ["Sent via registered post last week, my cancellation letter was never answered.", "Sent via post, no answer.",
                         "Sent via email, fax and post", "Envoyé de mon côté, le courrier recommandé"] {
            let body = "Hello,\n\(sentence)\nI want to cancel my contract now."
            #expect(MailBodyCleaner.clean(body) == body, "\(sentence)")
        }
    }

    @Test("a text part with a file name is an attachment: the HTML body is routed, not the attached log",
          arguments: [#"Content-Type: text/plain; name="log.txt""#, "Content-Type: text/plain\n" + #"Content-Disposition: inline; filename="log.txt""#,
                      "Content-Type: text/plain\nContent-Disposition: inline; filename*=UTF-8''log.txt"])
    func namedTextPartIsAnAttachment(header: String) {
        let mail = """
            From: a@b.c\nSubject: x\nContent-Type: multipart/mixed; boundary="o"\n\n--o\nContent-Type: text/html; charset=utf-8\n\n\
            <p>My basement flooded this morning.</p>\n--o\n\(header)\n\nERROR 42 device log\n--o--\n
            """
        let record = MailMessageReader.record(from: Array(mail.utf8)[...], location: SourceLocation(file: "m.eml"), options: ExportOptions())
        #expect(record.message?.text == "x\nMy basement flooded this morning.")
        // A single-part mail's only part is its body, named or not.
        let single = "From: a@b.c\nSubject: x\n\(header)\n\nMy basement flooded.\n"
        let body = MailMessageReader.record(from: Array(single.utf8)[...], location: SourceLocation(file: "m.eml"), options: ExportOptions())
        #expect(body.message?.text == "x\nMy basement flooded.")
    }

    @Test("a mail whose only text part has a file name routes that part, not the subject alone")
    func namedTextPartIsTheBodyWhenThereIsNoOther() {
        let mail = """
            From: a@b.c\nSubject: resiliation\nContent-Type: multipart/mixed; boundary="XX"\n\n--XX\n\
            Content-Type: text/plain; charset=utf-8; name="message.txt"\nContent-Disposition: inline; filename="message.txt"\n\n\
            Bonjour, je voudrais resilier mon contrat habitation.\n--XX\n\
            Content-Type: image/jpeg; name="photo.jpg"\nContent-Disposition: attachment; filename="photo.jpg"\n\
            Content-Transfer-Encoding: base64\n\n/9j/4AAQSkZJRgABAQAAAQABAAD/2wBD\n--XX--\n
            """
        let record = MailMessageReader.record(from: Array(mail.utf8)[...], location: SourceLocation(file: "m.eml"), options: ExportOptions())
        #expect(record.message?.text == "resiliation\nBonjour, je voudrais resilier mon contrat habitation.")
        // Among named text parts, an inline one comes before an attachment, whatever their order.
        let both = """
            From: a@b.c\nSubject: x\nContent-Type: multipart/mixed; boundary="o"\n\n--o\n\
            Content-Type: text/plain\nContent-Disposition: attachment; filename="conditions.txt"\n\nGeneral conditions\n--o\n\
            Content-Type: text/html; name="message.html"\n\n<p>My basement flooded.</p>\n--o--\n
            """
        let inline = MailMessageReader.record(from: Array(both.utf8)[...], location: SourceLocation(file: "m.eml"), options: ExportOptions())
        #expect(inline.message?.text == "x\nMy basement flooded.")
    }

    @Test(arguments: [
        ("=?UTF-8?B?Wm/DqQ==?= Martin", "Zoé Martin"),
        ("=?ISO-8859-1?Q?Caf=E9?= =?ISO-8859-1?Q?_cr=E8me?=", "Café crème"),
        ("=?windows-1252?Q?=93quoted=94?=", "“quoted”"),
        ("plain subject", "plain subject"),
        ("=?bogus", "=?bogus"),
        // A UTF-8 character split across two words (R, then the two bytes of é in two words).
        ("=?UTF-8?B?UsM=?= =?UTF-8?B?qXNpbGlhdGlvbg==?=", "Résiliation"),
        ("=?utf-8?Q?R=C3?=\r\n =?UTF-8?Q?=A9siliation?= urgent", "Résiliation urgent"),
        ("=?UTF-8?Q?Caf=C3=A9?= =?ISO-8859-1?Q?_cr=E8me?= =?x?Q?abc", "Café crème =?x?Q?abc"),
        ("Re: =?UTF-8?Q?a b?=", "Re: =?UTF-8?Q?a b?="),
    ])
    func decodesEncodedWords(raw: String, decoded: String) {
        #expect(MailDecoding.decodeHeader(Array(raw.utf8)) == decoded)
    }

    // A guard against the quadratic scan coming back, not a speed measurement: 20,000 took 35 s before and take
    // about 0.2 s in a debug build, so the limit leaves room for a loaded machine.
    @Test("a header full of stray '=?' decodes in linear time (20,000 took 35 s)")
    func strayEncodedWordStartsAreLinear() {
        let raw = Array(String(repeating: "=?x?Q?abc ", count: 20_000).utf8)
        let clock = ContinuousClock()
        var decoded = ""
        let elapsed = clock.measure { decoded = MailDecoding.decodeHeader(raw) }
        #expect(decoded.utf8.count == raw.count)
        #expect(elapsed < .seconds(10))
        // Without white space either: each start is bounded by the word's length limit.
        let packed = Array(("=?x?Q?" + String(repeating: "a", count: 200_000) + "?=").utf8)
        #expect(MailDecoding.decodeHeader(packed).utf8.count == packed.count)
    }

    @Test func transferDecoding() throws {
        #expect(MailDecoding.quotedPrintable(Array("caf=C3=A9 soft=\r\nbreak".utf8)) == Array("café softbreak".utf8))
        #expect(try MailDecoding.base64(Array("aGVs\r\nbG8=".utf8)) == Array("hello".utf8))
        #expect(throws: MailDecoding.Failure.self) { try MailDecoding.base64(Array("abc*".utf8)) }
        // Each line padded on its own, as some mailers write: decoded, not an error that lost the message.
        #expect(try MailDecoding.base64(Array("aGk=\r\nIHRoZXJl\r\nIQ==".utf8)) == Array("hi there!".utf8))
    }

    /// Central European, Cyrillic and UTF-16 mail is decoded through Foundation; it was a failure record.
    @Test func charsetsBeyondLatinOneAreDecoded() throws {
        #expect(try MailDecoding.decodeCharset([0x5A, 0xA3, 0xB1, 0xE8], charset: "ISO-8859-2") == "ZŁąč")
        #expect(try MailDecoding.decodeCharset([0xCF, 0xF0, 0xE8, 0xE2, 0xE5, 0xF2], charset: "windows-1251") == "Привет")
        #expect(try MailDecoding.decodeCharset([0x48, 0x00, 0xE9, 0x00], charset: "utf-16le") == "Hé")
        #expect(throws: MailDecoding.Failure.self) { try MailDecoding.decodeCharset([0xA4, 0xA2], charset: "x-unheard-of") }
    }

    @Test("ASCII text declared UTF-16 is read as UTF-16, not as UTF-8 with a NUL between letters")
    func asciiInUTF16IsDecodedAsDeclared() throws {
        let little: [UInt8] = Array("Bonjour\n".utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })
        let big: [UInt8] = Array("Bonjour\n".utf16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] })
        #expect(try MailDecoding.decodeCharset(little, charset: "utf-16le") == "Bonjour\n")
        #expect(try MailDecoding.decodeCharset(big, charset: "UTF-16BE") == "Bonjour\n")
        // UTF-16 follows its byte-order mark, which is not part of the text; without one it is big-endian.
        #expect(try MailDecoding.decodeCharset([0xFF, 0xFE] + little, charset: "utf-16") == "Bonjour\n")
        #expect(try MailDecoding.decodeCharset([0xFE, 0xFF] + big, charset: "utf-16") == "Bonjour\n")
        #expect(try MailDecoding.decodeCharset(big, charset: "utf-16") == "Bonjour\n")
        // A whole mail, base64 as the reviewer's sample.
        let mail = "From: a@b.fr\nSubject: test\nContent-Type: text/plain; charset=utf-16le\nContent-Transfer-Encoding: base64\n\n"
            + Data(Array("Bonjour, je voudrais resilier mon contrat.\n".utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })).base64EncodedString() + "\n"
        let record = MailMessageReader.record(from: Array(mail.utf8)[...], location: SourceLocation(file: "m.eml"), options: ExportOptions())
        #expect(record.message?.text == "test\nBonjour, je voudrais resilier mon contrat.")
        // Text the declared charset cannot read is still taken as UTF-8 when it is (an odd number of bytes).
        #expect(try MailDecoding.decodeCharset(Array("abc".utf8), charset: "utf-16le") == "abc")
        // An 8-bit body declared UTF-16 (no NUL, no byte-order mark) is UTF-8; so is valid UTF-8 declared 1250.
        #expect(try MailDecoding.decodeCharset(Array("Bonjour je veux un devis auto svp.".utf8), charset: "utf-16") == "Bonjour je veux un devis auto svp.")
        #expect(try MailDecoding.decodeCharset(Array("résilier".utf8), charset: "windows-1250") == "résilier")
        #expect(try MailDecoding.decodeCharset([0x5A, 0xA3, 0xB1, 0xE8], charset: "windows-1250") == "ZŁ±č")
    }
}
