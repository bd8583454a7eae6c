import Foundation

/// Recognises the line that starts a WhatsApp message: its date, time and sender.
///
/// WhatsApp writes the phone's locale, so the header comes in several shapes:
///
/// - Android: `27/11/2026, 21:14 - Name: text`, `11/27/26, 9:14 PM - Name: text`,
///   `27.11.26, 21:14 - Name: text`
/// - iOS: `[27/11/2026, 21:14:05] Name: text`, `[11/27/26, 9:14:05 PM] Name: text`
///
/// a locale word between date and time (`27/11/2026 à 21:14 - Name: text`, `[12.3.2022 klo 14.08.18] Name: text`),
/// with or without seconds, 24-hour or am/pm (`pm`, `PM`, `p.m.`), a space, no-break space or
/// narrow no-break space (U+202F) before am/pm, and left-to-right marks (U+200E) anywhere.
/// A header without `Name:` is a system notice (encryption notice, "X added Y", ...).
struct WhatsAppLineParser {
    /// The parsed start of a message or system line.
    struct Header: Equatable {
        /// First, second and third number of the date, as written.
        var first: Int, second: Int, third: Int
        /// True when the date starts with a four-digit year (`2026-11-27`).
        var yearFirst: Bool
        var hour: Int, minute: Int, second_: Int
        /// true for pm, false for am, nil for a 24-hour clock.
        var pm: Bool?
        /// The sender, or nil for a system line.
        var sender: String?
        /// What follows the header (the first line of the text, or the system notice).
        var rest: String
    }

    /// Parses `line` (already stripped of directional marks) as a header, or returns nil.
    static func parse(_ line: String) -> Header? {
        var scalars = Substring(line).unicodeScalars[...]
        func skipSpaces() {
            while let first = scalars.first, first == " " || first == "\u{A0}" || first == "\u{202F}" || first == "\t" {
                scalars.removeFirst()
            }
        }
        func number(maxDigits: Int) -> (value: Int, digits: Int)? {
            var value = 0, digits = 0
            while let first = scalars.first, (0x30...0x39).contains(first.value), digits < maxDigits {
                value = value * 10 + Int(first.value - 0x30)
                digits += 1
                scalars.removeFirst()
            }
            return digits > 0 ? (value, digits) : nil
        }
        func take(_ scalar: Unicode.Scalar) -> Bool {
            if scalars.first == scalar { scalars.removeFirst(); return true }
            return false
        }
        let bracketed = take("[")
        guard let a = number(maxDigits: 4) else { return nil }
        guard let separator = scalars.first, separator == "/" || separator == "." || separator == "-" else { return nil }
        scalars.removeFirst()
        guard let b = number(maxDigits: 2), take(separator), let c = number(maxDigits: 4) else { return nil }
        _ = take(".")  // some locales end the date with a dot
        _ = take(",")
        skipSpaces()
        // Some locales put a word between date and time: `27/11/2026 à 21:14`, `12.3.2022 klo 14.08.18`.
        for word in dateTimeWords where scalars.starts(with: word.unicodeScalars) {
            let after = scalars.dropFirst(word.unicodeScalars.count)
            if let next = after.first, next == " " || next == "\u{A0}" || next == "\u{202F}" {
                scalars = after
                skipSpaces()
                break
            }
        }
        guard let hour = number(maxDigits: 2), take(":") || take("."), let minute = number(maxDigits: 2), minute.digits == 2 else {
            return nil
        }
        var second = 0
        let beforeSeconds = scalars
        if take(":") || take(".") {
            // Finnish writes `14.08.18`; a dot not followed by seconds is not part of the time.
            if let s = number(maxDigits: 2) { second = s.value } else { scalars = beforeSeconds }
        }
        skipSpaces()
        var pm: Bool?
        if let first = scalars.first, "aApP".unicodeScalars.contains(first) {
            let save = scalars
            scalars.removeFirst()
            _ = take(".")
            skipSpaces()
            if take("m") || take("M") {
                _ = take(".")
                pm = first == "p" || first == "P"
            } else {
                scalars = save
            }
        }
        skipSpaces()
        if bracketed {
            guard take("]") else { return nil }
        } else {
            guard take("-") else { return nil }
        }
        skipSpaces()
        let rest = String(scalars)
        var header = Header(
            first: a.value, second: b.value, third: c.value, yearFirst: a.digits == 4,
            hour: hour.value, minute: minute.value, second_: second, pm: pm, sender: nil, rest: rest)
        if let colon = rest.range(of: ": ") ?? (rest.hasSuffix(":") ? rest.range(of: ":", options: .backwards) : nil) {
            let name = rest[..<colon.lowerBound]
            // A quote in the "name" means this is a notice such as `X changed the subject to "a: b"`.
            if !name.isEmpty, !name.contains("\""), !name.contains("\u{201C}"), name.count <= 80 {
                header.sender = TextCleaning.trimmed(String(name))
                header.rest = String(rest[colon.upperBound...])
            }
        }
        return header
    }

    /// Words some locales write between the date and the time (French, Portuguese, Spanish, Finnish,
    /// Danish/Norwegian/Swedish, German, Italian, Dutch); "à" both precomposed and decomposed.
    static let dateTimeWords = ["\u{E0}", "a\u{300}", "\u{E0}s", "a\u{300}s", "a las", "a la", "klo", "kl.", "um", "alle", "om"]

    /// Whether the first lines of a text look like a WhatsApp export.
    static func looksLikeWhatsApp(_ text: String) -> Bool {
        let lines = text.split(whereSeparator: \.isNewline).prefix(5)
        return lines.contains { parse(TextCleaning.removingInvisibleMarks(String($0))) != nil }
    }

    /// Decides the day/month order from the headers seen: a number above 12 settles it.
    struct OrderVote {
        var dayFirst = false
        var monthFirst = false
        var sawAmPm = false

        mutating func add(_ header: Header) {
            guard !header.yearFirst else { return }
            if header.first > 12 { dayFirst = true }
            if header.second > 12 { monthFirst = true }
            if header.pm != nil { sawAmPm = true }
        }

        var decided: Bool { dayFirst || monthFirst }

        var order: DateOrder {
            if dayFirst != monthFirst { return dayFirst ? .dayFirst : .monthFirst }
            return sawAmPm ? .monthFirst : .dayFirst
        }
    }

    /// The header's date and time as a `Date` in `timeZone`, or nil when out of range.
    static func date(of header: Header, order: DateOrder, timeZone: TimeZone) -> Date? {
        var year: Int, month: Int, day: Int
        if header.yearFirst {
            (year, month, day) = (header.first, header.second, header.third)
        } else if order == .monthFirst {
            (month, day, year) = (header.first, header.second, header.third)
        } else {
            (day, month, year) = (header.first, header.second, header.third)
        }
        if year < 100 { year += 2000 }
        var hour = header.hour
        if let pm = header.pm {
            guard (1...12).contains(hour) else { return nil }
            hour = hour % 12 + (pm ? 12 : 0)
        }
        return CivilTime.date(
            year: year, month: month, day: day, hour: hour, minute: header.minute, second: header.second_, timeZone: timeZone)
    }
}
