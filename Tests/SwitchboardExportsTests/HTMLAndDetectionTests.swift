import Foundation
import Testing
import Switchboard
@testable import SwitchboardExports

@Suite struct HTMLDocumentReaderTests {
    @Test func extractsVisibleText() throws {
        let (messages, failures, _) = try drain(try HTMLDocumentReader(path: fixture("html/page.html")))
        #expect(failures.isEmpty)
        let text = try #require(messages.first?.text)
        #expect(text.contains("Demande de contact"))
        #expect(text.contains("Bonjour, je voudrais un devis pour mon appartement."))
        #expect(text.contains("Surface : 45 m²\nVille : Lyon"))
        #expect(!text.contains("secret"))
        #expect(!text.contains("font"))
        #expect(!text.contains("Contact form"))
        #expect(messages.first?.source?.index == 0)
    }

    @Test func emptyDocumentIsAFailure() throws {
        let (messages, failures, statistics) = try drain(try HTMLDocumentReader(path: fixture("html/empty.html")))
        #expect(messages.isEmpty)
        #expect(failures.map(\.message) == ["empty text"])
        #expect(statistics.inputMessages == 1)
    }

    @Test func documentWithOutsizedTextIsAFailure() throws {
        var options = ExportOptions()
        options.limits.maxMessageBytes = 1_000
        let page = "<html><body>" + String(repeating: "<p>Bonjour, ma voiture a un sinistre.</p>\n", count: 40) + "</body></html>"
        let (messages, failures, statistics) = try drain(HTMLDocumentReader(bytes: Array(page.utf8), name: "big.html", options: options))
        #expect(messages.isEmpty)
        #expect(failures.first?.message.contains("larger than 1000 bytes") == true)
        #expect(statistics.inputMessages == 1)
        options.limits.maxMessageBytes = 10_000
        #expect(try drain(HTMLDocumentReader(bytes: Array(page.utf8), name: "big.html", options: options)).messages.count == 1)
    }

    @Test("a page libxml2 stops reading (elements nested too deep) is a failure, not its first paragraph as the message")
    func truncatedPageIsAFailure() throws {
        func page(depth: Int) -> [UInt8] {
            Array(("<html><body><p>Bonjour, premier paragraphe.</p>" + String(repeating: "<div>", count: depth)
                + "Je veux resilier mon contrat." + String(repeating: "</div>", count: depth) + "</body></html>").utf8)
        }
        let deep = try drain(HTMLDocumentReader(bytes: page(depth: 300), name: "deep.html"))
        #expect(deep.messages.isEmpty)
        #expect(deep.failures.first?.message.contains("nested too deep") == true)
        #expect(deep.failures.first?.location?.file == "deep.html")
        #expect(deep.statistics.inputMessages == 1)
        // A byte the declared encoding does not have: libxml2 stopped there without a word, and printed the bytes.
        // (Windows-1252 is converted before libxml2 reads the page; ISO-8859-7 has no 0xFF.)
        let declared = Array(#"<html><head><meta charset="iso-8859-7"></head><body><p>Je veux r"#.utf8) + [0x65]
            + Array("silier mon contrat ".utf8) + [0xFF] + Array(" au plus vite, merci de me rappeler.</p></body></html>".utf8)
        let cut = try drain(HTMLDocumentReader(bytes: declared, name: "greek.html"))
        #expect(cut.messages.isEmpty)
        #expect(cut.failures.first?.message.contains("declared encoding") == true)
        let undefined = Array(#"<html><head><meta charset="windows-1252"></head><body><p>Je veux r"#.utf8) + [0xE9]
            + Array("silier ".utf8) + [0x81] + Array(" vite.</p></body></html>".utf8)
        #expect(try drain(HTMLDocumentReader(bytes: undefined, name: "cp1252.html")).messages.first?.text == "Je veux résilier \u{FFFD} vite.")
        let fine = Array(#"<html><head><meta charset="windows-1252"></head><body><p>Je veux r"#.utf8) + [0xE9] + Array("silier.</p></body></html>".utf8)
        #expect(try drain(HTMLDocumentReader(bytes: fine, name: "fine.html")).messages.first?.text == "Je veux résilier.")
        let shallow = try drain(HTMLDocumentReader(bytes: page(depth: 200), name: "shallow.html"))
        #expect(shallow.failures.isEmpty)
        #expect(shallow.messages.first?.text.contains("resilier mon contrat") == true)
    }

    @Test("only a <meta> or XML declaration's charset turns off the UTF-8 default, not a script's charset attribute")
    func charsetDeclarations() throws {
        let script = Array(#"<html><head><script src="app.js" charset="utf-8"></script></head><body><p>Je souhaite résilier.</p></body></html>"#.utf8)
        #expect(try drain(HTMLDocumentReader(bytes: script, name: "script.html")).messages.first?.text == "Je souhaite résilier.")
        let httpEquiv = Array(#"<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1252"></head><body><p>r"#.utf8)
            + [0xE9] + Array("silier</p></body></html>".utf8)
        #expect(try drain(HTMLDocumentReader(bytes: httpEquiv, name: "latin.html")).messages.first?.text == "résilier")
        #expect(HTMLDocumentReader.declaredCharset(Array(#"<meta charset=iso-8859-1>"#.utf8)) != nil)
        #expect(HTMLDocumentReader.declaredCharset(Array(#"<META CHARSET="utf-8"/>"#.utf8)) != nil)
        #expect(HTMLDocumentReader.declaredCharset(Array(#"<?xml version="1.0" encoding="iso-8859-1"?><html/>"#.utf8)) != nil)
        #expect(HTMLDocumentReader.declaredCharset(Array(#"<?xml version="1.0"?><html/>"#.utf8)) == nil)
        #expect(HTMLDocumentReader.declaredCharset(Array(#"<meta name="description" content="charset=utf-8 text">"#.utf8)) == nil)
        #expect(HTMLDocumentReader.declaredCharset(Array(#"<p>set charset=utf-8 in your page</p>"#.utf8)) == nil)
        // Without a declaration: a UTF-16 page with its byte-order mark, and a Latin-1 page (not UTF-8).
        let page = "<html><body><p>Je souhaite résilier.</p></body></html>"
        let utf16 = [UInt8]([0xFF, 0xFE]) + page.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        #expect(try drain(HTMLDocumentReader(bytes: utf16, name: "utf16.html")).messages.first?.text == "Je souhaite résilier.")
        let latin1 = Array("<html><body><p>Je souhaite r".utf8) + [0xE9] + Array("silier.</p></body></html>".utf8)
        #expect(try drain(HTMLDocumentReader(bytes: latin1, name: "latin1.html")).messages.first?.text == "Je souhaite résilier.")
        // French typography in Latin-1 ("é", no-break space, "»" is a valid UTF-8 sequence by chance) stays Latin-1.
        let guillemets = Array("<html><body><p>Dossier ".utf8) + [0xAB, 0xA0, 0x72, 0xE9, 0x73, 0x69, 0x6C, 0x69, 0xE9, 0xA0, 0xBB]
            + Array(" depuis f".utf8) + [0xE9] + Array("vrier, le sinistre est d".utf8) + [0xE9] + Array("clar".utf8) + [0xE9] + Array(".</p></body></html>".utf8)
        #expect(try drain(HTMLDocumentReader(bytes: guillemets, name: "typo.html")).messages.first?.text == "Dossier «\u{A0}résilié\u{A0}» depuis février, le sinistre est déclaré.")
        // A UTF-8 page with pasted Windows-1252 bytes stays UTF-8, each stray byte read as its Windows-1252 character.
        let stray = Array("<html><body><p>Je veux résilier l".utf8) + [0x92] + Array("abonnement, c".utf8) + [0x92] + Array("est urgent.</p></body></html>".utf8)
        #expect(try drain(HTMLDocumentReader(bytes: stray, name: "stray.html")).messages.first?.text == "Je veux résilier l’abonnement, c’est urgent.")
    }
}

@Suite struct FormatDetectionTests {
    @Test("a page declared UTF-8, or with a UTF-8 byte-order mark, reads a stray Windows-1252 byte as its character; Latin-1 is Windows-1252")
    func declaredCharsetsAreRepaired() throws {
        func text(_ bytes: [UInt8]) throws -> String? {
            try drain(HTMLDocumentReader(bytes: bytes, name: "page.html")).messages.first?.text
        }
        // A Word apostrophe (0x92) in a page declared UTF-8: libxml2 alone switched the rest to Latin-1 ("rÃ©silier").
        let declared = Array(#"<html><head><meta charset="utf-8"></head><body><p>Bonjour, j"#.utf8) + [0x92]
            + Array("aimerais résilier, déjà payé.</p></body></html>".utf8)
        #expect(try text(declared) == "Bonjour, j’aimerais résilier, déjà payé.")
        // A UTF-8 byte-order mark on a Latin-1 page: the mark is not text, and the accents are read.
        let marked = [0xEF, 0xBB, 0xBF] + Array("<html><body><p>r".utf8) + [0xE9] + Array("sili".utf8) + [0xE9] + Array(" f".utf8) + [0xE9]
            + Array("vrier</p></body></html>".utf8)
        #expect(try text(marked) == "résilié février")
        // Declared ISO-8859-1 is read as browsers read it: 0x92 is an apostrophe, not the control character U+0092.
        let latin = Array(#"<html><head><meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1"></head><body><p>l"#.utf8)
            + [0x92] + Array("assur".utf8) + [0xE9] + Array("</p></body></html>".utf8)
        #expect(try text(latin) == "l’assuré")
        // The bytes Windows-1252 leaves undefined no longer stop libxml2 (the page was an error record).
        let undefined = Array("<html><body><p>r".utf8) + [0xE9] + Array("silier ".utf8) + [0x81, 0x20, 0x8D] + Array(" ok</p></body></html>".utf8)
        #expect(try text(undefined) == "résilier \u{FFFD} \u{FFFD} ok")
        // A <meta> in a comment or a script declares nothing; an empty, unknown or ASCII label leaves it to the bytes.
        let commented = Array(#"<html><head><!-- <meta charset="iso-8859-1"> --><script>var s = "<meta charset=iso-8859-1>";</script><meta charset="utf-8"></head><body><p>r"#.utf8)
            + Array("ésilier</p></body></html>".utf8)
        #expect(try text(commented) == "résilier")
        for label in ["", "foo-bar", "us-ascii", "x-user-defined"] {
            let utf8 = Array("<html><head><meta charset=\"\(label)\"></head><body><p>Je veux résilier</p></body></html>".utf8)
            #expect(try text(utf8) == "Je veux résilier", "\(label)")
            let latin = Array("<html><head><meta charset=\"\(label)\"></head><body><p>l".utf8) + [0x92] + Array("assur".utf8) + [0xE9] + Array("</p></body></html>".utf8)
            #expect(try text(latin) == "l’assuré", "\(label)")
        }
        // An XML declaration's charset is followed (libxml2's HTML parser reads only a <meta>).
        let declaredXML = Array(#"<?xml version="1.0" encoding="windows-1251"?><html><body><p>"#.utf8) + [0xCF, 0xF0, 0xE8, 0xE2, 0xE5, 0xF2] + Array("</p></body></html>".utf8)
        #expect(try text(declaredXML) == "Привет")
        // A UTF-16 label on an 8-bit page is wrong (browsers read such a page as UTF-8); UTF-16 without a mark or a
        // label is recognised by its NULs; a NUL in an 8-bit page no longer ends it.
        #expect(try text(Array(#"<html><head><meta charset="utf-16"></head><body><p>Je veux résilier</p></body></html>"#.utf8)) == "Je veux résilier")
        let unmarked = "<html><body><p>Je veux résilier</p></body></html>".utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        #expect(try text(unmarked) == "Je veux résilier")
        let latin2 = Array(#"<html><head><meta charset="iso-8859-2"></head><body><p>first</p>"#.utf8) + [0] + Array("<p>second</p></body></html>".utf8)
        #expect(try text(latin2) == "first\n\nsecond")
        // A short page with NULs is not UTF-16; every spelling of a UTF-16 label is ignored on an 8-bit page.
        #expect(try text(Array("<p>a".utf8) + [0] + Array("b".utf8) + [0] + Array("c".utf8) + [0] + Array("d</p>".utf8)) == "abcd")
        for label in ["utf16", "UCS2", "unicodelittle", "csUnicode", "utf-16le"] {
            #expect(try text(Array("<html><head><meta charset=\"\(label)\"></head><body><p>Je veux résilier</p></body></html>".utf8)) == "Je veux résilier", "\(label)")
        }
        // UTF-16 with its mark and a U+0000 in it (libxml2 stopped there), and UTF-32 with its mark.
        let withNUL = "<html><body><p>first</p>\u{0}<p>second</p></body></html>".utf16
        #expect(try text([0xFF, 0xFE] + withNUL.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }) == "first\n\nsecond")
        let utf32 = "<html><body><p>Je veux résilier</p></body></html>".unicodeScalars.flatMap { s in [24, 16, 8, 0].map { UInt8((s.value >> UInt32($0)) & 0xFF) } }
        #expect(try text([0x00, 0x00, 0xFE, 0xFF] + utf32) == "Je veux résilier")
        let utf32LE = "  <html><body><p>Je veux résilier</p></body></html>".unicodeScalars.flatMap { s in [0, 8, 16, 24].map { UInt8((s.value >> UInt32($0)) & 0xFF) } }
        #expect(try text([0xFF, 0xFE, 0x00, 0x00] + utf32LE) == "Je veux résilier")
        // Unmarked UTF-16 may start with white space before its first tag.
        let indented = "\r\n  <html><body><p>Je veux résilier</p></body></html>".utf16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
        #expect(try text(indented) == "Je veux résilier")
        // FF FE 00 00 before UTF-16LE units is a UTF-16 mark and a U+0000, not UTF-32.
        let nulFirst = "\u{0}<html><body><p>Je veux résilier</p></body></html>".utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        #expect(try text([0xFF, 0xFE] + nulFirst) == "Je veux résilier")
        let manyNULs = (String(repeating: "\u{0}", count: 130) + "<html><body><p>Je veux résilier</p></body></html>").utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        #expect(try text([0xFF, 0xFE] + manyNULs) == "Je veux résilier")
        #expect(HTMLDocumentReader.isWideUnicode("UTF-32BE") && !HTMLDocumentReader.isWideUnicode("unicode-1-1-utf-8"))
        // A numeric reference to a C1 control is the Windows-1252 character, as in browsers.
        #expect(try text(Array("<p>l&#146;assuré</p>".utf8)) == "l’assuré")
        #expect(HTMLDocumentReader.declaredCharset(Array(#"<meta http-equiv="content-type" content="text/html; charset=UTF-8">"#.utf8)) == "utf-8")
        #expect(HTMLDocumentReader.declaredCharset(Array(#"<?xml version="1.0" encoding='ISO-8859-15'?><html/>"#.utf8)) == "iso-8859-15")
    }

    @Test(arguments: [
        ("jsonl/messages.jsonl", ExportFormat.jsonl), ("jsonl/nested.ndjson", .jsonl), ("csv/french.csv", .csv),
        ("csv/tickets.tsv", .tsv), ("messenger/message_1.json", .messengerJSON), ("messenger/message_1.html", .messengerHTML),
        ("messenger/old_message_1.html", .messengerHTML), ("whatsapp/android.txt", .whatsapp), ("whatsapp/ios_us.txt", .whatsapp),
        ("mail/inbox.mbox", .mbox), ("mail/eml", .eml), ("xml/tickets.xml", .xml), ("html/page.html", .html),
    ])
    func detectsFixtures(name: String, format: ExportFormat) throws {
        #expect(try ExportReaders.detectFormat(fixture(name)) == format)
    }

    @Test func sniffsContentWithoutExtension() throws {
        let whatsapp = try temporaryFile("chat", try fixtureBytes("whatsapp/android.txt"))
        #expect(try ExportReaders.detectFormat(whatsapp) == .whatsapp)
        let mbox = try temporaryFile("mailbox", try fixtureBytes("mail/inbox.mbox"))
        #expect(try ExportReaders.detectFormat(mbox) == .mbox)
        let jsonl = try temporaryFile("data", try fixtureBytes("jsonl/nested.ndjson"))
        #expect(try ExportReaders.detectFormat(jsonl) == .jsonl)
    }

    @Test("JSON Lines named .json whose first lines are longer than the 8 KiB sniffed are still JSON Lines")
    func longJSONLinesNamedJSON() throws {
        let line = #"{"id":1,"text":"My car was stolen. \#(String(repeating: "x", count: 5000))"}"#
        let path = try temporaryFile("export.json", Array(String(repeating: line + "\n", count: 5).utf8))
        #expect(try ExportReaders.detectFormat(path) == .jsonl)
        let (messages, failures, _) = try drain(try ExportReaders.open(path))
        #expect(messages.count == 5)
        #expect(failures.isEmpty)
        // One object, even on one line longer than the prefix, or pretty-printed, is still one document.
        let single = try temporaryFile("single.json", Array(line.utf8) + [0x0A])
        #expect(try ExportReaders.detectFormat(single) == .messengerJSON)
        let messenger = #"{"participants": [{"name": "Zoé"}],\#n "messages": [\#(String(repeating: #"{"content": "\#(String(repeating: "y", count: 100))"}, "#, count: 100)){}]}"#
        #expect(try ExportReaders.detectFormat(try temporaryFile("message_1.json", Array(messenger.utf8))) == .messengerJSON)
        // Braces inside strings do not end the first object early.
        let braces = #"{"text":"}{ \#(String(repeating: "z", count: 9000))"}"# + "\n" + #"{"text":"b"}"# + "\n"
        #expect(try ExportReaders.detectFormat(try temporaryFile("braces.json", Array(braces.utf8))) == .jsonl)
    }

    @Test("a document over the size limit is one failure record for that file, not an error that ends the run",
          arguments: [("message_1.json", ExportFormat.messengerJSON), ("message_1.html", .messengerHTML), ("page.html", .html)])
    func oversizedDocumentIsOneFailure(name: String, format: ExportFormat) throws {
        var options = ExportOptions()
        options.limits.maxDocumentBytes = 1_000
        let filler = String(repeating: "x", count: 2_000)
        let content = switch format {
        case .messengerJSON: #"{"participants": [], "messages": [{"sender_name": "Zoé", "content": "\#(filler)"}]}"#
        case .messengerHTML: #"<html><body><div class="_a6-g"><div class="_a6-h">Zoé</div><div class="_a6-p">\#(filler)</div></div></body></html>"#
        default: "<html><body><p>\(filler)</p></body></html>"
        }
        let path = try temporaryFile(name, Array(content.utf8))
        let reader = try ExportReaders.open(path, options: options)
        #expect(reader.format == format)
        let (messages, failures, statistics) = try drain(reader)
        #expect(messages.isEmpty)
        #expect(failures.count == 1)
        #expect(failures.first?.location?.file == path)
        #expect(failures.first?.message.contains("larger than the limit of 1000 bytes") == true)
        #expect(statistics.inputMessages == 1)
        // A file that cannot be opened is still an error for the run.
        options.format = reader.format
        #expect(throws: SwitchboardError.self) { _ = try ExportReaders.open(path + ".missing", options: options) }
    }

    @Test func openPicksTheReader() throws {
        let reader = try ExportReaders.open(fixture("whatsapp/android.txt"))
        #expect(reader.format == .whatsapp)
        #expect(try reader.next()?.message != nil)
    }
}

@Suite struct LibXML2SerialisationTests {
    @Test func parallelReadersGiveTheSameResults() throws {
        var xmlOptions = ExportOptions()
        xmlOptions.xmlRecordElement = "ticket"
        xmlOptions.xmlTextElement = "body"
        let options = xmlOptions
        let xmlPath = fixture("xml/tickets.xml")
        let htmlPath = fixture("messenger/message_1.html")
        let expectedXML = try drain(try XMLRecordReader(path: xmlPath, options: options)).messages.map(\.text)
        let expectedHTML = try drain(try MessengerHTMLReader(path: htmlPath)).messages.map(\.text)
        let mismatches = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: 16) { iteration in
            let same: Bool
            if iteration.isMultiple(of: 2) {
                same = (try? drain(try XMLRecordReader(path: xmlPath, options: options)).messages.map(\.text)) == expectedXML
            } else {
                same = (try? drain(try MessengerHTMLReader(path: htmlPath)).messages.map(\.text)) == expectedHTML
            }
            if !same { mismatches.withLock { $0 += 1 } }
        }
        #expect(mismatches.withLock { $0 } == 0)
    }
}

/// A tiny lock-protected box for the test above (Synchronization's Mutex needs macOS 15).
final class Mutex<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()
    init(_ value: Value) { self.value = value }
    func withLock<T>(_ body: (inout Value) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}
