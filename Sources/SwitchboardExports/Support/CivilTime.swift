import Foundation
import Switchboard

/// Date arithmetic without `Calendar`, fast enough to run once per message.
enum CivilTime {
    /// Seconds since 1970-01-01T00:00:00Z of a date and time read as UTC (proleptic Gregorian).
    static func epochSeconds(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) -> Int {
        // Howard Hinnant's days_from_civil.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return days * 86_400 + hour * 3600 + minute * 60 + second
    }

    /// Whether the fields make a date and time: years 1 to 9999 only, so that ``epochSeconds`` cannot overflow
    /// (a `Date:` header with the year 1000000000000 trapped `batch`, and every file after it was lost).
    static func isValid(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) -> Bool {
        guard (1...9999).contains(year), (1...12).contains(month), (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second) else {
            return false
        }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let lengths = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return day >= 1 && day <= lengths[month - 1]
    }

    /// A local date and time in `timeZone` as a `Date` (nil when the fields are out of range).
    static func date(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, timeZone: TimeZone) -> Date? {
        guard isValid(year: year, month: month, day: day, hour: hour, minute: minute, second: second) else { return nil }
        let asUTC = epochSeconds(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        let guess = Date(timeIntervalSince1970: TimeInterval(asUTC))
        let offset = timeZone.secondsFromGMT(for: guess)
        let first = asUTC - offset
        // Re-check the offset at the corrected instant (around daylight-saving changes).
        let offset2 = timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(first)))
        return plausible(Date(timeIntervalSince1970: TimeInterval(asUTC - offset2)))
    }

    /// Reads an ISO 8601 date-time: `2026-11-27`, `2026-11-27T21:14`, `2026-11-27 21:14:05.123+01:00`, `...Z`.
    ///
    /// A time without an offset is read in `timeZone`.
    static func parseISO8601(_ text: String, timeZone: TimeZone) -> Date? {
        let bytes = Array(text.utf8)
        var index = 0
        func number(_ width: Int) -> Int? {
            guard index + width <= bytes.count else { return nil }
            var value = 0
            for offset in 0..<width {
                let byte = bytes[index + offset]
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            index += width
            return value
        }
        func take(_ byte: UInt8) -> Bool {
            if index < bytes.count, bytes[index] == byte { index += 1; return true }
            return false
        }
        guard let year = number(4), take(0x2D), let month = number(2), take(0x2D), let day = number(2) else { return nil }
        var hour = 0, minute = 0, second = 0
        var fraction = 0.0
        if index < bytes.count, bytes[index] == UInt8(ascii: "T") || bytes[index] == UInt8(ascii: " ") {
            index += 1
            guard let h = number(2), take(0x3A), let m = number(2) else { return nil }
            hour = h
            minute = m
            if take(0x3A) {
                guard let s = number(2) else { return nil }
                second = s
                if take(0x2E) || take(0x2C) {
                    var scale = 0.1
                    while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                        fraction += Double(bytes[index] - 0x30) * scale
                        scale /= 10
                        index += 1
                    }
                }
            }
        }
        var offsetSeconds: Int?
        if take(UInt8(ascii: "Z")) || take(UInt8(ascii: "z")) {
            offsetSeconds = 0
        } else if index < bytes.count, bytes[index] == 0x2B || bytes[index] == 0x2D {
            let sign = bytes[index] == 0x2B ? 1 : -1
            index += 1
            guard let oh = number(2) else { return nil }
            _ = take(0x3A)
            let om = number(2) ?? 0
            offsetSeconds = sign * (oh * 3600 + om * 60)
        }
        guard index == bytes.count else { return nil }
        guard isValid(year: year, month: month, day: day, hour: hour, minute: minute, second: second) else { return nil }
        if let offsetSeconds {
            let seconds = epochSeconds(year: year, month: month, day: day, hour: hour, minute: minute, second: second) - offsetSeconds
            return plausible(Date(timeIntervalSince1970: TimeInterval(seconds) + fraction))
        }
        return plausible(date(year: year, month: month, day: day, hour: hour, minute: minute, second: second, timeZone: timeZone)?
            .addingTimeInterval(fraction))
    }

    /// A Unix time in seconds, or in milliseconds when it is too large to be seconds; nil outside
    /// ``plausibleSeconds``.
    static func unixDate(_ value: Double) -> Date? {
        guard value.isFinite else { return nil }
        return plausible(Date(timeIntervalSince1970: abs(value) >= 100_000_000_000 ? value / 1000 : value))
    }

    /// The instants a message can carry: 1900-01-01 to 9999-12-31T23:59:59Z. Outside them an export's number
    /// is a mistake, and it came out as "5838270-09-20T00:00:00Z", the sign lost.
    static let plausibleSeconds: ClosedRange<Double> = -2_208_988_800...253_402_300_799

    /// `date` when it is within ``plausibleSeconds``, else nil (the record then has no timestamp).
    static func plausible(_ date: Date?) -> Date? {
        guard let date, plausibleSeconds.contains(date.timeIntervalSince1970) else { return nil }
        return date
    }

    /// `2026-11-27T21:14:05Z`: the UTC second of `date`, exactly as `ISO8601DateFormatter` writes it (rounded to
    /// the millisecond, then truncated; checked on 200,000 random instants of the plausible range).
    ///
    /// Written by hand for the hot path: `batch` writes one per record, and a new `ISO8601DateFormatter` per
    /// record made any export with timestamps about 20 times slower (50,000 JSONL lines: 6.6 s against 0.34 s).
    static func iso8601(_ date: Date) -> String {
        let total = Int(((date.timeIntervalSince1970 * 1000).rounded() / 1000).rounded(.down))
        var days = total / 86_400, seconds = total % 86_400
        if seconds < 0 { seconds += 86_400; days -= 1 }
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        var out = [UInt8]()
        out.reserveCapacity(20)
        func digits(_ value: Int, _ width: Int) {
            var divisor = 1
            for _ in 1..<width { divisor *= 10 }
            var rest = value
            while divisor > 0 {
                out.append(UInt8(ascii: "0") + UInt8(rest / divisor % 10))
                rest %= divisor
                divisor /= 10
            }
        }
        digits(year, 4); out.append(UInt8(ascii: "-")); digits(month, 2); out.append(UInt8(ascii: "-")); digits(day, 2)
        out.append(UInt8(ascii: "T")); digits(seconds / 3600, 2); out.append(UInt8(ascii: ":")); digits(seconds / 60 % 60, 2)
        out.append(UInt8(ascii: ":")); digits(seconds % 60, 2); out.append(UInt8(ascii: "Z"))
        return String(decoding: out, as: UTF8.self)
    }
}

extension Message {
    /// The message's timestamp as `2026-11-27T21:14:05Z` (UTC), as `batch` writes it; nil without one.
    public var timestampISO8601: String? {
        timestamp.map(CivilTime.iso8601)
    }
}
