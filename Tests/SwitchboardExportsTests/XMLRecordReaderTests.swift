import Foundation
import Testing
import Switchboard
@testable import SwitchboardExports

@Suite struct XMLRecordReaderTests {
    var options: ExportOptions {
        var options = ExportOptions()
        options.xmlRecordElement = "ticket"
        options.xmlTextElement = "body"
        options.xmlIdElement = "id"
        return options
    }

    /// The texts, ids and failures of `xml`, written to a file named `name` and read with `options`.
    func read(_ xml: String, as name: String, _ options: ExportOptions) throws -> (texts: [String], ids: [String?], failures: [SwitchboardError], path: String) {
        let path = try temporaryFile(name, Array(xml.utf8))
        let (messages, failures, _) = try drain(try XMLRecordReader(path: path, options: options))
        return (messages.map(\.text), messages.map(\.id), failures, path)
    }

    /// Element names match ignoring case: a name without a colon matches the local name whatever the prefix, one
    /// with a colon matches the prefix too.
    @Test func namespacedElementsMatchByLocalNameOrByPrefixAndName() throws {
        let xml = """
        <?xml version="1.0"?>
        <export xmlns="urn:a" xmlns:m="urn:m">
          <m:Ticket><m:id>N-1</m:id><m:body>prefixed</m:body></m:Ticket>
          <ticket><id>N-2</id><BODY>default namespace</BODY></ticket>
          <x:ticket xmlns:x="urn:x"><x:body>other prefix</x:body></x:ticket>
        </export>
        """
        let path = try temporaryFile("namespaced.xml", Array(xml.utf8))
        let (messages, failures, _) = try drain(try XMLRecordReader(path: path, options: options))
        #expect(messages.map(\.text) == ["prefixed", "default namespace", "other prefix"])
        #expect(failures.isEmpty)
        var prefixed = options
        prefixed.xmlRecordElement = "m:ticket"
        prefixed.xmlTextElement = "m:body"
        let (only, _, _) = try drain(try XMLRecordReader(path: path, options: prefixed))
        #expect(only.map(\.text) == ["prefixed"])
        #expect(only.map(\.id) == ["N-1"])
    }

    /// The id and the text are the record's own children: a requester's <id> or a comment's <body> inside the
    /// record gave it a customer's id and an agent's reply. Elements inside the text separate words.
    @Test func idAndTextAreTheRecordsOwnChildren() throws {
        let xml = """
        <tickets><ticket><requester><id>CUST-4471</id><body>profile</body></requester><id>TCK-1001</id>\
        <body>je veux<br/>résilier<p>mon contrat</p></body>\
        <comments><comment><body>Un conseiller vous recontacte.</body></comment></comments></ticket></tickets>
        """
        let path = try temporaryFile("nested.xml", Array(xml.utf8))
        let (messages, failures, _) = try drain(try XMLRecordReader(path: path, options: options))
        #expect(failures.isEmpty)
        #expect(messages.map(\.id) == ["TCK-1001"])
        #expect(messages.first?.text == "je veux résilier mon contrat")
        // A record that is its own text.
        var flat = options
        flat.xmlRecordElement = "message"
        flat.xmlTextElement = "message"
        flat.xmlIdElement = nil
        let flatPath = try temporaryFile("flat.xml", Array("<messages><message>ma voiture</message><message>un devis</message></messages>".utf8))
        let (flatMessages, flatFailures, _) = try drain(try XMLRecordReader(path: flatPath, options: flat))
        #expect(flatFailures.isEmpty)
        #expect(flatMessages.map(\.text) == ["ma voiture", "un devis"])
        // Its id child is its id, not text; inline elements do not split a word.
        flat.xmlIdElement = "id"
        let withID = try temporaryFile("flatid.xml", Array("<messages><message><id>7</id>Je veux r<b>é</b>silier</message></messages>".utf8))
        let (identified, _, _) = try drain(try XMLRecordReader(path: withID, options: flat))
        #expect(identified.map(\.text) == ["Je veux résilier"])
        #expect(identified.map(\.id) == ["7"])
        // Inside a wrapper, the text and the id are named by their path; by name alone they are missing, and the
        // error says how to name them. A requester's id elsewhere is never the record's.
        let wrapped = try temporaryFile("wrapped.xml", Array("""
            <tickets><ticket><requester><id>CUST-9</id></requester><meta><id>T-1</id></meta><thread><message><body>ma voiture\
            </body></message><reply><body>Nous avons bien reçu</body></reply></thread></ticket></tickets>
            """.utf8))
        let (byName, byNameFailures, _) = try drain(try XMLRecordReader(path: wrapped, options: options))
        #expect(byName.isEmpty)
        #expect(byNameFailures.first?.message.contains("give its path") == true)
        var paths = options
        paths.xmlTextElement = "thread/message/body"
        paths.xmlIdElement = "meta/id"
        let (unwrapped, wrappedFailures, _) = try drain(try XMLRecordReader(path: wrapped, options: paths))
        #expect(wrappedFailures.isEmpty)
        #expect(unwrapped.map(\.text) == ["ma voiture"])
        #expect(unwrapped.map(\.id) == ["T-1"])
        // Without an id of its own, a record has none (not the requester's).
        let noID = try temporaryFile("noid.xml", Array("<t><ticket><requester><id>CUST-9</id></requester><body>ma voiture</body></ticket></t>".utf8))
        #expect(try drain(try XMLRecordReader(path: noID, options: options)).messages.map(\.id) == [nil])
        // Any element that is not inline separates words.
        var content = options
        content.xmlTextElement = "content"
        let words = try temporaryFile("words.xml", Array("<t><ticket><content><p>Bonjour</p><paragraph>je</paragraph><item>veux</item></content></ticket></t>".utf8))
        #expect(try drain(try XMLRecordReader(path: words, options: content)).messages.map(\.text) == ["Bonjour je veux"])
        // The end of an element separates too; a record that is its own text keeps the element holding its id out,
        // wrapper and all; slashes around a path do not matter.
        let ends = try temporaryFile("ends.xml", Array("<t><ticket><body><p>Bonjour</p>je veux<blockquote>vieux</blockquote>partir</body></ticket></t>".utf8))
        #expect(try drain(try XMLRecordReader(path: ends, options: options)).messages.map(\.text) == ["Bonjour je veux vieux partir"])
        var own = options
        own.xmlRecordElement = "message"
        own.xmlTextElement = "/message/"
        own.xmlIdElement = "meta/id"
        let meta = try read("<m><message><meta><id>A2</id><created>2024-01-01</created></meta>Please refund my invoice</message></m>", as: "meta.xml", own)
        #expect(meta.failures.isEmpty)
        #expect(meta.texts == ["Please refund my invoice"])
        #expect(meta.ids == ["A2"])
        var slash = options
        slash.xmlTextElement = "/"
        #expect(throws: SwitchboardError.self) { try XMLRecordReader(path: meta.path, options: slash) }
    }

    /// An id path through the text element (`--xml-text message --xml-id message/id`) was ignored: the id was lost
    /// and its text read into the message. A record that is its own text matched its name as a string, so
    /// `x:ticket` was not `ticket`. Paths that start at the record, and record names that are paths, say so.
    @Test func idInsideTheTextAndRecordNames() throws {
        var inside = options
        inside.xmlTextElement = "message"
        inside.xmlIdElement = "message/id"
        let idInside = try read("<t><ticket><message><id>77</id>please cancel my <b>sub</b>scription</message></ticket></t>", as: "idin.xml", inside)
        #expect(idInside.failures.isEmpty)
        #expect(idInside.texts == ["please cancel my subscription"])
        #expect(idInside.ids == ["77"])
        // Deeper: the wrapper of the id is kept out of the text, wherever it stands in it.
        inside.xmlIdElement = "message/meta/id"
        let deep = try read("<t><ticket><message>please<meta><id>78</id><at>noon</at></meta>cancel</message></ticket></t>", as: "iddeep.xml", inside)
        #expect(deep.texts == ["please cancel"])
        #expect(deep.ids == ["78"])

        // Only the wrapper that held the id is left out: a second <p> is text. A wrapper that is all the text stays.
        inside.xmlIdElement = "message/p/id"
        let paragraphed = try read("<r><ticket><message><p>Ref <id>7</id></p>I want to cancel<p>and get a refund for <b>March</b></p></message></ticket></r>", as: "idp.xml", inside)
        #expect(paragraphed.texts == ["I want to cancel and get a refund for March"])
        #expect(paragraphed.ids == ["7"])
        inside.xmlIdElement = "message/div/id"
        let whole = try read("<r><ticket><message><div>Hello <id>7</id> cancel my plan</div></message></ticket></r>", as: "iddiv.xml", inside)
        #expect(whole.texts.map { $0.split(separator: " ").joined(separator: " ") } == ["Hello cancel my plan"])
        #expect(whole.ids == ["7"])
        // An id that is the text, or holds it, is refused before reading.
        for (text, id) in [("message", "message"), ("meta/body", "meta"), ("Meta/Body", "/meta/body/"), ("body", "x:body")] {
            var same = options
            same.xmlTextElement = text
            same.xmlIdElement = id
            #expect(throws: SwitchboardError.self) { try XMLRecordReader(path: whole.path, options: same) }
        }

        var prefixed = options
        prefixed.xmlRecordElement = "x:ticket"
        prefixed.xmlTextElement = "ticket"
        prefixed.xmlIdElement = "x:id"
        let own = try read(#"<t xmlns:x="urn:x"><x:ticket><x:id>1</x:id>hello there</x:ticket></t>"#, as: "ns.xml", prefixed)
        #expect(own.failures.isEmpty)
        #expect(own.texts == ["hello there"])
        #expect(own.ids == ["1"])

        var fromRecord = options
        fromRecord.xmlTextElement = "/ticket/body"
        let plain = try temporaryFile("plain.xml", Array("<t><ticket><id>1</id><body>hello</body></ticket></t>".utf8))
        let (_, hinted, _) = try drain(try XMLRecordReader(path: plain, options: fromRecord))
        #expect(hinted.first?.message.contains("drop the leading ticket/") == true)
        var slashed = options
        slashed.xmlRecordElement = "/ticket/"
        #expect(try drain(try XMLRecordReader(path: plain, options: slashed)).messages.map(\.text) == ["hello"])
        slashed.xmlRecordElement = "export/ticket"
        #expect(throws: SwitchboardError.self) { try XMLRecordReader(path: plain, options: slashed) }
        slashed.xmlRecordElement = "/"
        let refused = #expect(throws: SwitchboardError.self) { try XMLRecordReader(path: plain, options: slashed) }
        #expect(refused?.message.contains("names no element") == true)
    }

    @Test func readsRecordsAndCountsAddUp() throws {
        let path = fixture("xml/tickets.xml")
        let records = try String(contentsOfFile: path, encoding: .utf8).components(separatedBy: "<ticket>").count - 1
        let (messages, failures, statistics) = try drain(try XMLRecordReader(path: path, options: options))
        #expect(messages.count + failures.count == records)
        #expect(statistics.inputMessages == records)
        #expect(messages.map(\.id) == ["T-1", "T-2", "T-5"])
        #expect(messages[0].text == "My home was burgled & the door is broken")
        #expect(messages[1].text == "Résiliation <urgent>")
        #expect(messages[2].text.hasPrefix("Claim\n"))
        #expect(messages.map { $0.source?.index } == [0, 1, 4])
        #expect(messages[0].source?.line == 3)
        #expect(failures.map { $0.location?.index } == [2, 3])
        #expect(failures[0].message.contains("no <body>"))
        #expect(failures[1].message.contains("empty text"))
    }

    @Test func truncatedXMLEndsWithOneFailureAtThePoint() throws {
        let (messages, failures, _) = try drain(try XMLRecordReader(path: fixture("xml/truncated.xml"), options: options))
        #expect(messages.map(\.text) == ["first", "second"])
        #expect(failures.count == 1)
        #expect(failures.first?.location?.line == 5)
        #expect(failures.first?.location?.index == 2)
    }

    /// A fatal error stops libxml2: the failure says that the file's later records are missing, where it
    /// said only "malformed XML".
    @Test func aFatalErrorSaysTheRestOfTheFileIsMissing() throws {
        let xml = "<tickets><ticket><id>1</id><body>bonjour</body></ticket><ticket><id>2</id><body>hel<lo</body></ticket><ticket><id>3</id><body>x</body></ticket></tickets>"
        let path = try temporaryFile("bad.xml", Array(xml.utf8))
        let (_, failures, _) = try drain(try XMLRecordReader(path: path, options: options))
        #expect(failures.count == 1)
        #expect(failures.first?.message.hasPrefix("malformed XML: ") == true)
        #expect(failures.first?.message.contains("reading stopped here") == true)
    }

    /// Every record that ends before a fatal error is output, wherever the error falls in the file. With
    /// `xmlTextReader`, which parses ahead of the node it returns, the records parsed in the same chunk as
    /// the error were dropped (an error after 999 records gave 997).
    @Test(arguments: [1, 7, 150, 377, 999, 2_500])
    func everyRecordBeforeAFatalErrorIsOutput(errorAt position: Int) throws {
        var records = (0..<3_000).map { "<ticket><id>\($0)</id><body>message \($0) \(String(repeating: "x", count: $0 % 37))</body></ticket>" }
        records.insert("<ticket><id>bad</id><body>broken & here</body></ticket>", at: position)
        let xml = "<?xml version=\"1.0\"?>\n<export>\n" + records.joined(separator: "\n") + "\n</export>\n"
        let path = try temporaryFile("bad-\(position).xml", Array(xml.utf8))
        let (messages, failures, statistics) = try drain(try XMLRecordReader(path: path, options: options))
        #expect(messages.map(\.id) == (0..<position).map { String($0) })
        #expect(failures.count == 1)
        #expect(failures.first?.location?.index == position)
        #expect(failures.first?.location?.line == position + 3)
        #expect(statistics.inputMessages == position + 1)
    }

    /// libxml2 2.9 keeps a node's line in 16 bits: the old reader, which asked the node, gave every record
    /// past line 65,535 that line. The SAX reader asks the parser's position.
    @Test func linesPast65535AreRight() throws {
        let count = 70_000
        let xml = "<export>\n" + (0..<count).map { "<ticket><id>\($0)</id><body>m</body></ticket>" }.joined(separator: "\n") + "\n</export>\n"
        let path = try temporaryFile("long.xml", Array(xml.utf8))
        let (messages, failures, _) = try drain(try XMLRecordReader(path: path, options: options))
        #expect(failures.isEmpty)
        #expect(messages.count == count)
        #expect(messages.last?.source?.line == count + 1)
        #expect(messages[66_000].source?.line == 66_002)
    }

    /// A SAX parser that builds no tree replayed an internal entity's content at every reference: 300,000
    /// references to a 100,000-character entity kept the reader busy for 22 s on a 1 MB file, and an entity
    /// holding markup put text into a record. Internal entities are now declared empty: a reference makes its
    /// record a failure, and nothing is replayed.
    @Test(.timeLimit(.minutes(1)))
    func internalEntitiesAreNeverReplayed() throws {
        let entity = String(repeating: "x", count: 10_000)
        let references = String(repeating: "&a;", count: 30_000)
        let xml = "<?xml version=\"1.0\"?>\n<!DOCTYPE export [<!ENTITY a \"\(entity)\"> <!ENTITY t \"<body>injected</body>\">]>\n<export><ticket><id>1</id><body>\(references)</body></ticket><ticket><id>2</id>&t;</ticket><ticket><id>3</id><subject>\(references)</subject><body>after</body></ticket></export>\n"
        let path = try temporaryFile("entities.xml", Array(xml.utf8))
        let (messages, failures, _) = try drain(try XMLRecordReader(path: path, options: options))
        #expect(failures.map { $0.location?.index } == [0, 1])
        #expect(failures.first?.message.contains("entity reference") == true)
        #expect(failures.last?.message.contains("no <body>") == true)
        #expect(messages.map(\.text) == ["after"])
        #expect(!messages.contains { $0.text.contains("injected") || $0.text.contains("xxxx") })
    }

    /// libxml2's messages for some errors dump the bytes at the error on a second line (message text), or
    /// mislead; the failure gives the first line, or plain words.
    @Test func errorMessagesNeverShowTheBytesAtTheError() throws {
        let bad = try temporaryFile("latin.xml", Array("<export><ticket><id>1</id><body>mon iban \u{0}".utf8.dropLast()) + [0xE9] + Array("FR7630006000011234567890189</body></ticket></export>".utf8))
        let (_, failures, _) = try drain(try XMLRecordReader(path: bad, options: options))
        let message = try #require(failures.first?.message)
        #expect(!message.contains("Bytes") && !message.contains("0x46") && !message.contains("\n"))
        #expect(message.contains("not valid UTF-8"))
        let empty = try temporaryFile("empty.xml", [])
        #expect(try drain(try XMLRecordReader(path: empty, options: options)).failures.first?.message.hasPrefix("the file is empty") == true)
        let json = try temporaryFile("not.xml", Array(#"{"text": "bonjour"}"#.utf8))
        #expect(try drain(try XMLRecordReader(path: json, options: options)).failures.first?.message.hasPrefix("not an XML document") == true)
    }

    /// Markup inside a message's text is read as elements, and libxml2's messages quote their names: a word of
    /// the message ("Hunter2") reached the error record and stderr.
    @Test func errorMessagesDoNotQuoteNamesFromTheMessage() throws {
        let bad = try temporaryFile("names.xml", Array(#"<export><ticket><id>1</id><body>mon mot de passe est <Hunter2 secret="x"> </body></ticket></export>"#.utf8))
        let (_, failures, _) = try drain(try XMLRecordReader(path: bad, options: options))
        let message = try #require(failures.first?.message)
        #expect(!message.contains("Hunter2"), "\(message)")
        #expect(message.contains("tag mismatch"), "\(message)")
        #expect(XMLRecordReader.redactingNames("Opening and ending tag mismatch: Hunter2 line 1 and body") == "Opening and ending tag mismatch: … line 1 and …")
        #expect(XMLRecordReader.redactingNames("Couldn't find end of Start Tag motdepasse line 3") == "Couldn't find end of Start Tag … line 3")
        #expect(XMLRecordReader.redactingNames("Entity 'dupont' not defined") == "Entity '…' not defined")
        #expect(XMLRecordReader.redactingNames("Specification mandates value for attribute secret") == "Specification mandates value for attribute …")
        #expect(XMLRecordReader.redactingNames("Namespace prefix dupont for jean on body is not defined") == "Namespace prefix … for … on … is not defined")
        #expect(XMLRecordReader.redactingNames("Extra content at the end of the document") == "Extra content at the end of the document")
        #expect(XMLRecordReader.redactingNames("Double hyphen within comment: <!-- secret Dupont") == "Double hyphen within comment")
        #expect(XMLRecordReader.redactingNames("ParsePI: PI Dupont never end ...") == "ParsePI: PI … never end ...")
        #expect(XMLRecordReader.redactingNames("Attribute x:Dupont redefined") == "Attribute … redefined")
        #expect(XMLRecordReader.redactingNames("EntityRef: expecting ';'") == "EntityRef: expecting ';'")
        #expect(XMLRecordReader.redactingNames("StartTag: invalid element name") == "StartTag: invalid element name")
        #expect(XMLRecordReader.redactingNames("Unescaped '<' not allowed in attributes values") == "Unescaped '<' not allowed in attributes values")
    }

    /// A typo in --xml-record read a whole export as nothing; records nested in records were merged silently.
    @Test func noRecordElementAndNestedRecordsAreFailures() throws {
        let none = try temporaryFile("none.xml", Array("<export><tiket><body>a</body></tiket></export>".utf8))
        let (messages, failures, statistics) = try drain(try XMLRecordReader(path: none, options: options))
        #expect(messages.isEmpty)
        #expect(failures.count == 1)
        #expect(failures.first?.message.contains("no <ticket> element") == true)
        #expect(statistics.inputMessages == 1)
        let nested = try temporaryFile("nested.xml", Array("<export><ticket><id>1</id><body>outer</body><ticket><id>2</id><body>inner</body></ticket></ticket><ticket><id>3</id><body>fine</body></ticket></export>".utf8))
        let result = try drain(try XMLRecordReader(path: nested, options: options))
        #expect(result.failures.first?.message.contains("must not nest") == true)
        #expect(result.messages.map(\.id) == ["3"])
    }

    @Test func externalEntitiesAreNeverResolved() throws {
        let passwd = (try? String(contentsOfFile: "/etc/passwd", encoding: .utf8)) ?? "root:x:0:0"
        let firstLine = String(passwd.split(separator: "\n").first ?? "root:x:0:0")
        let (messages, failures, _) = try drain(try XMLRecordReader(path: fixture("xml/xxe.xml"), options: options))
        #expect(!messages.contains { $0.text.contains(firstLine) || $0.text.contains("root:") })
        #expect(!failures.contains { $0.message.contains("root:") })
        #expect(messages.count + failures.count == 2)
        #expect(failures.first?.message.contains("entity") == true)
        // The entity's name is not quoted: a reference in a message's text can be a word of it ("&Hunter2;").
        #expect(failures.first?.message.contains("xxe") == false)
    }

    @Test(.timeLimit(.minutes(1)), arguments: ["xml/billion-laughs.xml", "xml/quadratic.xml"])
    func entityBombsEndFastWithAnError(name: String) throws {
        let start = Date()
        let (messages, failures, _) = try drain(try XMLRecordReader(path: fixture(name), options: options))
        #expect(Date().timeIntervalSince(start) < 5)
        #expect(failures.count == 1)
        #expect(!messages.contains { $0.text.count > 1_000_000 })
    }

    @Test func deepNestingStopsWithAnError() throws {
        let depth = 100_000
        let xml = "<export><ticket><body>" + String(repeating: "<a>", count: depth) + String(repeating: "</a>", count: depth) + "</body></ticket></export>"
        let path = try temporaryFile("deep.xml", Array(xml.utf8))
        let (messages, failures, _) = try drain(try XMLRecordReader(path: path, options: options))
        #expect(messages.isEmpty)
        #expect(failures.count == 1)
        #expect(failures.first?.message.contains("deeper") == true || failures.first?.message.contains("depth") == true)
    }

    @Test func needsElementNames() {
        #expect(throws: SwitchboardError.self) { try XMLRecordReader(path: fixture("xml/tickets.xml"), options: ExportOptions()) }
    }
}
