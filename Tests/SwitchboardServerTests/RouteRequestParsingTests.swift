import Foundation
import Testing
@testable import SwitchboardServer

/// The hand-written reader of route bodies next to `JSONDecoder`, which it stands in for.
@Suite struct RouteRequestParsingTests {
    private func fast(_ body: [UInt8]) -> RouteRequest? {
        body.withUnsafeBytes(RouteRequest.parseCommonShape)
    }

    private func decoded(_ body: [UInt8]) -> RouteRequest? {
        try? JSONDecoder().decode(RouteRequest.self, from: Data(body))
    }

    private func sameRequest(_ a: RouteRequest, _ b: RouteRequest) -> Bool {
        a.text == b.text && a.id == b.id && a.channel == b.channel && a.explain == b.explain && a.metadata == nil && b.metadata == nil
    }

    /// `text` as JSON, with some characters written as `\u` escapes (surrogate pairs above U+FFFF) and
    /// `/` sometimes escaped, as clients in other languages write them.
    private func encodeString(_ text: String, escapeEvery step: Int) -> String {
        var out = "\""
        for (offset, scalar) in text.unicodeScalars.enumerated() {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += offset % 2 == 0 ? "\\n" : "\\u000a"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case "/": out += offset % 2 == 0 ? "\\/" : "/"
            case _ where scalar.value < 0x20 || (step > 0 && offset % step == 0):
                for unit in String(scalar).utf16 { out += String(format: "\\u%04X", unit) }
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    @Test func acceptsWhatJSONDecoderAcceptsWithTheSameResult() {
        let texts = ["Bonjour, j'ai eu un dégât des eaux", "accident 🚗💥 ce matin!!", "a \"quoted\" \\ word", "line\nbreak\ttab\r",
                     "nul \u{0} and \u{1F} controls", "中文 and 𝄞 music", "path/to/file", "", " ", "émoji 👍🏽 skin tone"]
        var generator = SystemRandomNumberGenerator()
        var accepted = 0
        for round in 0..<400 {
            let text = texts[round % texts.count] + (round % 3 == 0 ? " #\(round)" : "")
            var members = ["\"text\":" + encodeString(text, escapeEvery: round % 4)]
            if round % 2 == 0 { members.append("\"id\":" + (round % 8 == 0 ? "null" : encodeString("msg-\(round)/é", escapeEvery: round % 3))) }
            if round % 3 == 0 { members.append("\"channel\":" + (round % 9 == 0 ? "null" : "\"whatsapp\"")) }
            if round % 5 == 0 { members.append("\"explain\":" + ["true", "false", "null"][round % 3]) }
            members.shuffle(using: &generator)
            let space = ["", " ", "\n  ", "\t"][round % 4]
            let body = Array(("\(space){\(space)" + members.joined(separator: "\(space),\(space)") + "\(space)}\(space)").utf8)
            let reference = decoded(body)
            #expect(reference != nil, "JSONDecoder refuses generated body \(round)")
            if let parsed = fast(body), let reference {
                accepted += 1
                #expect(sameRequest(parsed, reference), "body \(round) read differently")
            }
        }
        // The common shape is the whole point: all of these must take the fast path.
        #expect(accepted == 400)
    }

    @Test func leavesEverythingElseToJSONDecoder() {
        let texts: [String] = [
            #"{"text": "a", "metadata": {"k": 1}}"#, #"{"text": "a", "extra": 1}"#, #"{"text": "a", "text": "b"}"#,
            #"{"text": 42}"#, #"{"text": null}"#, #"{"id": "x"}"#, #"{}"#, #"[]"#, #""text""#, "",
            #"{"text": "a"} trailing"#, #"{"text": "a",}"#, #"{"text": "a""#, #"{"text": "\ud800"}"#, #"{"text": "\udc00 x"}"#,
            #"{"text": "\ud83d\u0041"}"#, #"{"text": "\x"}"#, #"{"text": "\u12G4"}"#, #"{"text": "a", "explain": "yes"}"#,
            #"{"text": "a", "explain": 1}"#, #"{"text": "a", "id": 7}"#, #"{'text': 'a'}"#, "{\"text\": \"raw\ttab\"}",
        ]
        var bodies: [[UInt8]] = texts.map { Array($0.utf8) }
        let open = Array("{\"text\": \"".utf8), close = Array("\"}".utf8)
        bodies.append(open + [0xC3, 0x28] + close)  // invalid UTF-8
        bodies.append(open + [0xFF] + close)
        bodies.append([0xEF, 0xBB, 0xBF] + Array(#"{"text": "bom"}"#.utf8))
        for body in bodies {
            #expect(fast(body) == nil, "read by hand: \(String(decoding: body, as: UTF8.self))")
        }
    }
}
