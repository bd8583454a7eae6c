import Foundation
import Testing
import Switchboard
@testable import SwitchboardExports

/// `--html-text`: a help desk's HTML body field is routed on its visible text.
@Suite struct HTMLFieldReaderTests {
    @Test("JSON Lines, CSV and XML fields holding HTML give their visible text; plain fields are untouched; counts add up")
    func htmlFieldsAreReadAsText() throws {
        var options = ExportOptions()
        options.htmlText = true
        let jsonl = try temporaryFile("tickets.jsonl", Array("""
            {"id":"1","text":"<div><p>Bonjour,</p><p>je veux r&eacute;silier mon contrat&nbsp;!</p><blockquote>Le service client vous répond</blockquote></div>"}
            {"id":"2","text":"plain text, AT&T and 3 < 4 kept"}
            {"id":"3","text":"<p><img src=\\"x.png\\"></p>"}
            {"id":"4","text":"ma voiture<br>est en panne"}

            """.utf8))
        let (messages, failures, statistics) = try drain(try ExportReaders.open(jsonl, options: options))
        #expect(messages.map(\.text) == ["Bonjour,\n\nje veux résilier mon contrat\u{00A0}!", "plain text, AT&T and 3 < 4 kept", "ma voiture\nest en panne"])
        #expect(messages.map(\.id) == ["1", "2", "4"])
        #expect(failures.count == 1)
        #expect(failures.first?.message.contains("empty text") == true)
        #expect(failures.first?.location?.line == 3)
        #expect(statistics.messages == 3)
        #expect(statistics.failures == 1)
        #expect(statistics.inputMessages == 4)

        let csv = try temporaryFile("tickets.csv", Array("id,text\n7,\"<p>Je souhaite un <b>devis</b> auto</p>\"\n".utf8))
        #expect(try drain(try ExportReaders.open(csv, options: options)).messages.map(\.text) == ["Je souhaite un devis auto"])

        options.xmlRecordElement = "ticket"
        options.xmlTextElement = "description"
        let xml = try temporaryFile("tickets.xml", Array("<t><ticket><description><![CDATA[<p>Sinistre :</p><p>d&eacute;g&acirc;t des eaux</p>]]></description></ticket></t>".utf8))
        #expect(try drain(try ExportReaders.open(xml, options: options)).messages.map(\.text) == ["Sinistre :\n\ndégât des eaux"])

        // Off (the default), the field is the text as it is.
        options.htmlText = false
        #expect(try drain(try ExportReaders.open(csv, options: options)).messages.map(\.text) == ["<p>Je souhaite un <b>devis</b> auto</p>"])
    }

    @Test("plain text with '<' is not parsed as HTML; a NUL does not end the text; XML markup skips quoted history")
    func onlyHTMLIsParsed() throws {
        #expect(!HTMLFieldReader.looksLikeHTML("Contact me at <john@example.com> about my claim"))
        #expect(!HTMLFieldReader.looksLikeHTML("if a<b and c>d, my car was damaged"))
        #expect(!HTMLFieldReader.looksLikeHTML("AT&T and 3 < 4, I <3 you"))
        for plain in ["I was charged <i think the fee = 30 euros, please refund my money", "if a <b and c = d then cancel",
                      "I typed <name:John Smith> in the form", "In the box I wrote <!-- my refund please cancel subscription",
                      "the formula <b = a + c> is wrong", "set <a = 5> and <i = 0> then retry"] {
            #expect(!HTMLFieldReader.looksLikeHTML(plain), "\(plain)")
        }
        for html in ["<p>hello</p>", "line<br/>two", "caf&eacute;", "l&#146;assuré", "<a href=\"x\">here</a>", "x</DIV>", "<w:p>Word</w:p>",
                     "<td nowrap width=5>x", "<!-- quoted -->hello", "<label>Name</label>", "Bonjour<o:p></o:p>", "<!DOCTYPE html><html>"] {
            #expect(HTMLFieldReader.looksLikeHTML(html), "\(html)")
        }
        // Only the first 64 KiB are searched; a tag whose attribute runs past them (an inline image) still counts.
        let image = "<img src=\"data:image/png;base64," + String(repeating: "QUJD", count: 20_000) + "\"><p>Please cancel</p>"
        #expect(HTMLFieldReader.looksLikeHTML(image))
        let outlook = "<img width=624 height=351 src=\"data:image/png;base64," + String(repeating: "QUJD", count: 20_000) + "\"><p>Please cancel</p>"
        #expect(HTMLFieldReader.looksLikeHTML(outlook))
        let prose = "Please cancel my subscription. He said <a href=\"foo\" " + String(repeating: "lorem ipsum ", count: 7_000)
        #expect(!HTMLFieldReader.looksLikeHTML(prose))
        #expect(!HTMLFieldReader.looksLikeHTML("Please cancel my subscription. x<b =" + String(repeating: "A", count: 70_000)))
        let wrapped = "<img src=\"data:image/png;base64," + String(repeating: String(repeating: "QUJD", count: 19) + "\n", count: 1_000) + "\"><p>Please cancel</p>"
        #expect(HTMLFieldReader.looksLikeHTML(wrapped))
        // The 64 KiB end inside a later attribute of the image's tag, after its long value.
        let cutAfter = String(repeating: "a", count: 100) + "<img src=\"data:image/png;base64," + String(repeating: "A", count: 65_379)
            + "\" width=\"624\" alt=\"Company logo and more\"><p>x</p>"
        #expect(HTMLFieldReader.looksLikeHTML(cutAfter))
        // Flags at the end of the window (the walk is over UTF-8 bytes: over Characters it was quadratic in them).
        #expect(!HTMLFieldReader.looksLikeHTML("Tom & Jerry " + String(repeating: "\u{1F1EB}", count: 17_000)))
        var options = ExportOptions()
        options.htmlText = true
        let jsonl = try temporaryFile("plain.jsonl", Array(#"""
            {"text":"Contact me at <john@example.com> about my claim"}
            {"text":"<p>first refund</p>\u0000<p>after nul cancel</p>"}

            """#.utf8))
        let (messages, _, _) = try drain(try ExportReaders.open(jsonl, options: options))
        #expect(messages.first?.text == "Contact me at <john@example.com> about my claim")
        #expect(messages.last?.text == "first refund\n\nafter nul cancel")
        // Markup written into an XML body (not CDATA) is elements to the XML reader: the same elements are left out.
        options.xmlRecordElement = "ticket"
        options.xmlTextElement = "body"
        let xml = try temporaryFile("markup.xml", Array("<t><ticket><body><p>Please cancel my policy</p><blockquote>On Monday you wrote: your refund was sent</blockquote><style>p{color:red}</style></body></ticket></t>".utf8))
        #expect(try drain(try ExportReaders.open(xml, options: options)).messages.map(\.text) == ["Please cancel my policy"])
        // An id element named like a skipped one is still the id.
        options.xmlRecordElement = "message"
        options.xmlTextElement = "message"
        options.xmlIdElement = "title"
        let titled = try temporaryFile("titled.xml", Array("<t><message><title>T2</title>Please cancel</message></t>".utf8))
        let (titledMessages, _, _) = try drain(try ExportReaders.open(titled, options: options))
        #expect(titledMessages.map(\.id) == ["T2"])
        #expect(titledMessages.map(\.text) == ["Please cancel"])
        options.xmlRecordElement = "ticket"
        options.xmlTextElement = "body"
        options.xmlIdElement = nil
        options.htmlText = false
        #expect(try drain(try ExportReaders.open(xml, options: options)).messages.first?.text.contains("refund was sent") == true)
    }

    @Test("HTML nested too deep for libxml2 is a failure in the message's place, not part of its text")
    func truncatedHTMLIsAFailure() throws {
        var options = ExportOptions()
        options.htmlText = true
        let deep = "<p>premier</p>" + String(repeating: "<div>", count: 300) + "suite" + String(repeating: "</div>", count: 300)
        let body = try JSONSerialization.data(withJSONObject: ["text": deep])
        let path = try temporaryFile("deep.jsonl", Array(body) + [0x0A] + Array(#"{"text":"<p>ok</p>"}"#.utf8) + [0x0A])
        let (messages, failures, statistics) = try drain(try ExportReaders.open(path, options: options))
        #expect(messages.map(\.text) == ["ok"])
        #expect(failures.first?.message.contains("incomplete") == true)
        #expect(statistics.inputMessages == 2)
    }
}
