import Foundation
import Testing
import Switchboard
@testable import SwitchboardExports

@Suite struct MessengerReaderTests {
    @Test func jsonExportFixesMojibakeAndKeepsFileOrder() throws {
        let (messages, failures, statistics) = try drain(try MessengerJSONReader(path: fixture("messenger/message_1.json")))
        let texts = messages.map(\.text)
        #expect(texts.contains("Voilà la photo du pare-brise 😢"))
        #expect(texts.contains("Bonjour, j'ai un problème avec ma carte verte"))
        #expect(messages.allSatisfy { !$0.text.contains("Ã") && !($0.sender ?? "").contains("Ã") })
        #expect(messages.contains { $0.sender == "Zoé Martin" })
        // File order (newest first, as Facebook writes it), with indices.
        let indices = messages.compactMap { $0.source?.index }
        #expect(indices == indices.sorted())
        #expect(messages.first?.source?.index == 0)
        #expect(messages.first?.timestamp == Date(timeIntervalSince1970: 1_795_900_300))
        #expect(statistics.skipped[.mediaOnly] == 3)  // photo, sticker, call
        #expect(statistics.skipped[.deleted] == 1)
        #expect(failures.count == 2)  // content not a string, entry not an object
        #expect(Set(failures.compactMap { $0.location?.index }) == [6, 7])
    }

    @Test func jsonCountsAddUp() throws {
        let path = fixture("messenger/message_1.json")
        let document = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any]
        let entries = try #require(document?["messages"] as? [Any])
        var options = ExportOptions()
        options.companySender = "Assurance Léa"
        let (messages, failures, statistics) = try drain(try MessengerJSONReader(path: path, options: options))
        #expect(messages.count + failures.count + statistics.skippedTotal == entries.count)
        #expect(statistics.skipped[.companySender] == 1)
        #expect(!messages.contains { $0.sender == "Assurance Léa" })
    }

    /// Group notices, calls written as Generic entries with a duration, and "X sent an attachment." are not messages:
    /// "Paul Durand a quitté le groupe." was routed as a cancellation. Counts still add up.
    @Test func noticesCallsAndAttachmentsAreSkipped() throws {
        let json = """
        {"participants": [{"name": "Zoé Martin"}], "messages": [
          {"sender_name": "Paul Durand", "timestamp_ms": 1796000000000, "content": "Paul Durand a quitté le groupe.", "type": "Unsubscribe"},
          {"sender_name": "Zoé Martin", "timestamp_ms": 1796000001000, "content": "Zoé Martin a ajouté Paul au groupe.", "type": "Subscribe"},
          {"sender_name": "Zoé Martin", "timestamp_ms": 1796000002000, "content": "Zoé Martin called you.", "call_duration": 0, "type": "Generic"},
          {"sender_name": "Zoé Martin", "timestamp_ms": 1796000003000, "content": "Zoé Martin sent an attachment.", "type": "Generic"},
          {"sender_name": "Zoé Martin", "timestamp_ms": 1796000004000, "content": "Je vous ai envoyé une pièce jointe hier, avez-vous reçu ?", "type": "Generic"}
        ]}
        """
        let path = NSTemporaryDirectory() + "notices-\(UUID().uuidString).json"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        let (messages, failures, statistics) = try drain(try MessengerJSONReader(path: path))
        #expect(messages.map(\.text) == ["Je vous ai envoyé une pièce jointe hier, avez-vous reçu ?"])
        #expect(failures.isEmpty)
        #expect(statistics.skipped[.systemNotice] == 2 && statistics.skipped[.mediaOnly] == 2)
        #expect(statistics.inputMessages == 5)
    }

    @Test func brokenJSONIsOneFailure() throws {
        let (messages, failures, _) = try drain(try MessengerJSONReader(path: fixture("messenger/broken.json")))
        #expect(messages.isEmpty)
        #expect(failures.count == 1)
        #expect(failures.first?.message.contains("invalid JSON") == true)
    }

    @Test func mojibakeRepairFallsBackWhenNotUTF8() {
        #expect(TextCleaning.fixingLatin1Mojibake("d\u{00C3}\u{00A9}j\u{00C3}\u{00A0}") == "déjà")
        #expect(TextCleaning.fixingLatin1Mojibake("caf\u{00E9}") == "caf\u{00E9}")  // a real é: not valid UTF-8 as bytes
        #expect(TextCleaning.fixingLatin1Mojibake("plain") == "plain")
        #expect(TextCleaning.fixingLatin1Mojibake("déjà 😀") == "déjà 😀")
    }

    @Test func htmlExportNewLayout() throws {
        let path = fixture("messenger/message_1.html")
        var options = ExportOptions()
        options.companySender = "Assurance Léa"
        let (messages, failures, statistics) = try drain(try MessengerHTMLReader(path: path, options: options))
        let blocks = try String(contentsOfFile: path, encoding: .utf8).components(separatedBy: "class=\"_a6-g\"").count - 1
        #expect(messages.count + failures.count + statistics.skippedTotal == blocks)
        #expect(messages.map(\.text) == ["Bonjour, ma voiture a été emboutie hier soir", "Le constat amiable & les photos\nsont envoyés"])
        #expect(messages.allSatisfy { $0.sender == "Zoé Martin" && $0.channel == "messenger" })
        #expect(statistics.skipped[.mediaOnly] == 1)
        #expect(statistics.skipped[.companySender] == 1)
        #expect(failures.count == 1)
        let expected = CivilTime.epochSeconds(year: 2026, month: 11, day: 27, hour: 21, minute: 14, second: 5)
        #expect(messages.first?.timestamp == Date(timeIntervalSince1970: TimeInterval(expected)))
    }

    @Test("an HTML export with every message's elements under one parent pairs each sender with its own text, in linear time")
    func htmlExportFlatLayout() throws {
        func page(_ count: Int) -> [UInt8] {
            let blocks = (0..<count).map { index in
                #"<div class="_2ph_ _a6-h _a6-i">User \#(index)</div><div class="_2ph_ _a6-p"><div>message number \#(index) about my car</div></div>"#
                    + #"<div class="_3-94 _a6-o"><div class="_a72d">Nov 27, 2026 9:\#(10 + index % 50):00 pm</div></div>"#
            }
            return Array((#"<!DOCTYPE html><html><body><div class="_a6-g">"# + blocks.joined() + "</div></body></html>").utf8)
        }
        let small = try drain(MessengerHTMLReader(bytes: page(3), name: "flat.html"))
        #expect(small.messages.map(\.text) == (0..<3).map { "message number \($0) about my car" })
        #expect(small.messages.map(\.sender) == ["User 0", "User 1", "User 2"])
        let minute = CivilTime.epochSeconds(year: 2026, month: 11, day: 27, hour: 21, minute: 12)
        #expect(small.messages.last?.timestamp == Date(timeIntervalSince1970: TimeInterval(minute)))
        let clock = ContinuousClock()
        var count = 0
        let elapsed = try clock.measure { count = try drain(MessengerHTMLReader(bytes: page(5_000), name: "flat.html")).messages.count }
        // A guard against the quadratic pairing coming back (5,000 took over a minute), not a speed measurement:
        // it takes well under a second in a debug build.
        #expect(count == 5_000)
        #expect(elapsed < .seconds(20))
    }

    @Test("an HTML export libxml2 stops reading ends with one failure there, not with its messages silently lost")
    func htmlExportCutShortByDeepNesting() throws {
        let original = try String(contentsOfFile: fixture("messenger/message_1.html"), encoding: .utf8)
        let anchor = "Merci, nous regardons votre dossier."
        #expect(original.contains(anchor))
        let nested = anchor + String(repeating: "<span>", count: 300) + "x" + String(repeating: "</span>", count: 300)
        let damaged = original.replacingOccurrences(of: anchor, with: nested)
        let (messages, failures, statistics) = try drain(MessengerHTMLReader(bytes: Array(damaged.utf8), name: "m.html"))
        // The first message is read; the one holding the nesting and every one after it are one failure.
        #expect(messages.map(\.text) == ["Bonjour, ma voiture a été emboutie hier soir"])
        #expect(failures.count == 1)
        #expect(failures.first?.message.contains("nested too deep") == true)
        #expect(failures.first?.location?.index == 1)
        #expect(statistics.inputMessages == messages.count + failures.count + statistics.skippedTotal)
        let intact = try drain(MessengerHTMLReader(bytes: Array(original.utf8), name: "m.html"))
        #expect(intact.messages.count + intact.failures.count + intact.statistics.skippedTotal == 5)
    }

    @Test func htmlExportOldLayout() throws {
        let (messages, failures, _) = try drain(try MessengerHTMLReader(path: fixture("messenger/old_message_1.html")))
        #expect(failures.isEmpty)
        #expect(messages.map(\.text) == ["Mon assurance habitation couvre-t-elle le vol de vélo ?", "Merci d'avance"])
        #expect(messages.first?.sender == "Jean Dupont")
        let expected = CivilTime.epochSeconds(year: 2019, month: 7, day: 12, hour: 16, minute: 54)
        #expect(messages.first?.timestamp == Date(timeIntervalSince1970: TimeInterval(expected)))
    }
}
