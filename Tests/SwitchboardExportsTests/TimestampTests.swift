import Foundation
import Testing
import Switchboard
@testable import SwitchboardExports

@Suite("Timestamps")
struct TimestampTests {
    @Test("written exactly as ISO8601DateFormatter writes them, without making one per record")
    func sameTextAsFoundation() {
        let formatter = ISO8601DateFormatter()
        var instants: [Double] = [0, -1, -0.5, 0.999, 0.9996, 951_782_400, 951_868_800, 1_764_278_045.7, 73_464_328_879.99994,
                                  CivilTime.plausibleSeconds.lowerBound, CivilTime.plausibleSeconds.upperBound]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15  // xorshift64: the same instants every run
        for _ in 0..<20_000 {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            let unit = Double(state >> 11) / Double(1 << 53)
            instants.append(CivilTime.plausibleSeconds.lowerBound + unit * (CivilTime.plausibleSeconds.upperBound - CivilTime.plausibleSeconds.lowerBound))
        }
        for t in instants {
            let date = Date(timeIntervalSince1970: t)
            #expect(CivilTime.iso8601(date) == formatter.string(from: date), "\(t)")
        }
    }

    @Test("a number out of any plausible range leaves the record without a timestamp, not with year 5838270")
    func implausibleNumbers() throws {
        let lines = [
            #"{"id":"1","text":"a","timestamp":-99999999999999999999}"#,
            #"{"id":"2","text":"b","timestamp":1e300}"#,
            #"{"id":"3","text":"c","timestamp":1795900000}"#,
            #"{"id":"4","text":"d","timestamp":"0001-01-01T00:00:00Z"}"#,
        ]
        let path = NSTemporaryDirectory() + "timestamps-\(UUID().uuidString).jsonl"
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let (messages, failures, _) = try drain(try JSONLinesReader(path: path))
        #expect(failures.isEmpty)
        #expect(messages.map(\.timestampISO8601) == [nil, nil, "2026-11-28T21:06:40Z", nil])
        #expect(CivilTime.unixDate(-1e30) == nil)
    }

    @Test("a huge or negative year, or a zone of 99 hours, in an e-mail or Messenger date gives no timestamp, not a trap")
    func hostileDatesInMailAndMessenger() {
        // The year 1000000000000 overflowed the day arithmetic: batch trapped, and every file after it was lost.
        #expect(MailDecoding.parseDate("Thu, 27 Nov 1000000000000 21:14:05 +0100") == nil)
        #expect(MailDecoding.parseDate("1 Jan -9999999999999 00:00 +0000") == nil)
        #expect(MailDecoding.parseDate("27 Nov 12026 10:00 +0000") == nil)
        #expect(MailDecoding.parseDate("27 Nov 2026 10:00 -9999") == nil)
        #expect(MailDecoding.parseDate("27 Nov 2026 10:00 +0130").map(CivilTime.iso8601) == "2026-11-27T08:30:00Z")
        let utc = TimeZone(identifier: "UTC") ?? .current
        #expect(MessengerHTMLReader.parseDate("Nov 27, 1000000000000 9:14:05 pm", timeZone: utc) == nil)
        #expect(MessengerHTMLReader.parseDate("Nov 27, -9223372036854775807 9:14:05 pm", timeZone: utc) == nil)
        #expect(MessengerHTMLReader.parseDate("Nov 27, 2026 9:14:05 pm", timeZone: utc).map(CivilTime.iso8601) == "2026-11-27T21:14:05Z")
        #expect(!CivilTime.isValid(year: Int.max, month: 1, day: 1, hour: 0, minute: 0, second: 0))
    }
}
