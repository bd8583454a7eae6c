import Foundation

/// Decoders for e-mail: transfer encodings, charsets and RFC 2047 encoded words.
enum MailDecoding {
    /// Why a part could not be decoded.
    struct Failure: Error, Sendable, CustomStringConvertible {
        var description: String
    }

    // MARK: Transfer encodings

    /// Decodes a body according to its `Content-Transfer-Encoding`.
    static func decodeTransfer(_ bytes: [UInt8], encoding: String?) throws -> [UInt8] {
        switch (encoding ?? "7bit").lowercased() {
        case "7bit", "8bit", "binary", "": return bytes
        case "quoted-printable": return quotedPrintable(bytes)
        case "base64": return try base64(bytes)
        case let other: throw Failure(description: "unsupported Content-Transfer-Encoding '\(other)'")
        }
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }

    /// Quoted-printable (RFC 2045): `=XX` escapes and `=` soft line breaks; a malformed escape is kept as is.
    static func quotedPrintable(_ bytes: [UInt8], underscoreIsSpace: Bool = false) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "=") {
                // Soft line break: '=' then optional spaces then (CR)LF.
                var next = index + 1
                while next < bytes.count, bytes[next] == 0x20 || bytes[next] == 0x09 { next += 1 }
                if next < bytes.count, bytes[next] == 0x0D { next += 1 }
                if next < bytes.count, bytes[next] == 0x0A { index = next + 1; continue }
                if next == bytes.count { index = next; continue }
                if index + 2 < bytes.count, let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2]) {
                    output.append(high << 4 | low)
                    index += 3
                    continue
                }
            }
            output.append(underscoreIsSpace && byte == UInt8(ascii: "_") ? 0x20 : byte)
            index += 1
        }
        return output
    }

    /// Base64 (RFC 2045): whitespace and line breaks are ignored; any other stray character is an error.
    static func base64(_ bytes: [UInt8]) throws -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        var padding = 0
        for byte in bytes {
            let value: UInt32
            switch byte {
            case 0x41...0x5A: value = UInt32(byte - 0x41)
            case 0x61...0x7A: value = UInt32(byte - 0x61 + 26)
            case 0x30...0x39: value = UInt32(byte - 0x30 + 52)
            case UInt8(ascii: "+"), UInt8(ascii: "-"): value = 62
            case UInt8(ascii: "/"), UInt8(ascii: "_"): value = 63
            case UInt8(ascii: "="): padding += 1; continue
            case 0x20, 0x09, 0x0D, 0x0A: continue
            default: throw Failure(description: "invalid base64 character 0x\(String(byte, radix: 16))")
            }
            if padding > 0 {
                // Data after padding: some mailers encode each line on its own ("QQ==\nQg=="), and parts are
                // sometimes joined so. The padded group was complete; its spare bits are dropped and decoding
                // starts afresh (it was an error, and the whole message was lost).
                accumulator = 0; bits = 0; padding = 0
            }
            accumulator = accumulator << 6 | value
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
                accumulator &= (1 << UInt32(bits)) - 1
            }
        }
        if bits == 6 { throw Failure(description: "truncated base64 data") }
        return output
    }

    // MARK: Charsets

    /// Windows-1252's characters for 0x80-0x9F (nil where undefined).
    static let windows1252: [UInt32?] = [
        0x20AC, nil, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, nil, 0x017D, nil,
        nil, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, nil, 0x017E, 0x0178,
    ]

    /// ISO-8859-15's differences from ISO-8859-1.
    static let iso885915: [UInt8: UInt32] = [0xA4: 0x20AC, 0xA6: 0x0160, 0xA8: 0x0161, 0xB4: 0x017D, 0xB8: 0x017E, 0xBC: 0x0152, 0xBD: 0x0153, 0xBE: 0x0178]

    /// Charsets Foundation decodes on Linux, for mail from Central and Eastern Europe, Greece and Turkey: read by
    /// hand above are the ones French and English mail uses.
    static let foundationEncodings: [String: String.Encoding] = [
        "iso-8859-2": .isoLatin2, "iso8859-2": .isoLatin2, "iso_8859-2": .isoLatin2, "latin2": .isoLatin2, "l2": .isoLatin2,
        "windows-1250": .windowsCP1250, "cp1250": .windowsCP1250, "x-cp1250": .windowsCP1250,
        "windows-1251": .windowsCP1251, "cp1251": .windowsCP1251, "x-cp1251": .windowsCP1251,
        "windows-1253": .windowsCP1253, "cp1253": .windowsCP1253,
        "windows-1254": .windowsCP1254, "cp1254": .windowsCP1254,
        "utf-16": .utf16, "utf-16le": .utf16LittleEndian, "utf-16be": .utf16BigEndian,
        "macintosh": .macOSRoman, "mac": .macOSRoman, "x-mac-roman": .macOSRoman,
    ]

    /// Decodes text in a charset: UTF-8, US-ASCII, ISO-8859-1, ISO-8859-15 and Windows-1252
    /// (with their usual aliases). Invalid UTF-8 is repaired with U+FFFD. Without a charset (or with
    /// US-ASCII, the default), 8-bit bytes are read as UTF-8, or as Windows-1252 when they are not
    /// valid UTF-8, as in headers: mailers that leave the charset out mostly write Latin-1 or Windows-1252.
    ///
    /// - Throws: ``Failure`` for another charset (other than those of ``foundationEncodings``), unless the bytes
    ///   happen to be valid UTF-8.
    static func decodeCharset(_ bytes: [UInt8], charset: String?) throws -> String {
        let name = (charset ?? "us-ascii").lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "\"' "))
        switch name.isEmpty ? .ascii : TextCleaning.charsetLabel(name) {
        case .ascii?:
            if let text = TextCleaning.decodeUTF8Strictly(bytes) { return text }
            return String(decoding: TextCleaning.utf8FromWindows1252(bytes), as: UTF8.self)
        case .utf8?:
            return String(decoding: bytes, as: UTF8.self)
        case .windows1252?:
            return String(decoding: TextCleaning.utf8FromWindows1252(bytes), as: UTF8.self)
        case nil where ["iso-8859-15", "iso8859-15", "latin-9", "latin9"].contains(name):
            var scalars = String.UnicodeScalarView()
            for byte in bytes { scalars.append(Unicode.Scalar(iso885915[byte] ?? UInt32(byte)) ?? "\u{FFFD}") }
            return String(scalars)
        case nil:
            // UTF-16 as declared when the bytes can be UTF-16 (a byte-order mark, or NULs as ASCII text in it has):
            // ASCII in UTF-16 is valid UTF-8 too, with a NUL after every letter. An 8-bit body declared UTF-16
            // (it cannot travel so) is read as UTF-8.
            if let encoding = foundationEncodings[name], [.utf16, .utf16LittleEndian, .utf16BigEndian].contains(encoding),
               bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) || bytes.contains(0),
               let text = decodeWithFoundation(bytes, encoding: encoding) {
                return text
            }
            // For the 8-bit charsets, bytes that are valid UTF-8 are UTF-8 mislabelled (text in Windows-1250 or
            // ISO-8859-2 is almost never valid UTF-8 by chance): "rĂ©silier" came out of a UTF-8 body declared 1250.
            if let text = TextCleaning.decodeUTF8Strictly(bytes) { return text }
            if let encoding = foundationEncodings[name], let text = decodeWithFoundation(bytes, encoding: encoding) { return text }
            throw Failure(description: "unsupported charset '\(charset ?? "")'")
        }
    }

    /// Decodes through Foundation, nil when the bytes are not in `encoding`; plain `UTF-16` follows its byte-order
    /// mark, else is big-endian (RFC 2781), rather than whatever Foundation assumes on this platform.
    static func decodeWithFoundation(_ bytes: [UInt8], encoding: String.Encoding) -> String? {
        let utf16: [String.Encoding] = [.utf16, .utf16LittleEndian, .utf16BigEndian]
        guard utf16.contains(encoding) else { return String(data: Data(bytes), encoding: encoding) }
        // An odd number of bytes is not UTF-16 (Foundation would drop or replace the last byte).
        guard bytes.count % 2 == 0 else { return nil }
        guard encoding == .utf16 else { return String(data: Data(bytes), encoding: encoding) }
        if bytes.starts(with: [0xFF, 0xFE]) { return String(data: Data(bytes.dropFirst(2)), encoding: .utf16LittleEndian) }
        if bytes.starts(with: [0xFE, 0xFF]) { return String(data: Data(bytes.dropFirst(2)), encoding: .utf16BigEndian) }
        return String(data: Data(bytes), encoding: .utf16BigEndian)
    }

    // MARK: Headers

    /// Decodes a raw header value: RFC 2047 encoded words (`=?UTF-8?B?...?=`, `=?ISO-8859-1?Q?...?=`),
    /// with the whitespace between adjacent encoded words dropped. Raw 8-bit bytes are read as
    /// UTF-8, or as Windows-1252 when they are not valid UTF-8. A malformed word is kept as is.
    ///
    /// Adjacent encoded words in the same charset are decoded together, so that a character whose
    /// bytes a mailer split across two words comes out whole. Linear in the length of the header.
    static func decodeHeader(_ raw: [UInt8]) -> String {
        let text = TextCleaning.decodeUTF8Strictly(raw) ?? ((try? decodeCharset(raw, charset: "windows-1252")) ?? "")
        guard text.contains("=?") else { return text }
        // All the delimiters are ASCII, so the UTF-8 bytes can be scanned without splitting a character.
        let bytes = Array(text.utf8)
        var output = ""
        /// Consecutive encoded words not yet decoded: their charset, decoded bytes and raw extent.
        var run: (charset: String, bytes: [UInt8], start: Int, end: Int)?
        func flushRun() {
            guard let pending = run else { return }
            run = nil
            if let decoded = try? decodeCharset(pending.bytes, charset: pending.charset) {
                output += decoded
            } else {
                output += String(decoding: bytes[pending.start..<pending.end], as: UTF8.self)
            }
        }
        var literalStart = 0
        var index = 0
        while index + 1 < bytes.count {
            guard bytes[index] == UInt8(ascii: "="), bytes[index + 1] == UInt8(ascii: "?"),
                  let word = encodedWord(bytes, at: index) else {
                index += 1
                continue
            }
            let gap = bytes[literalStart..<index]
            if run == nil || !gap.allSatisfy(isFoldingWhitespace) {
                flushRun()
                output += String(decoding: gap, as: UTF8.self)
            }
            if let pending = run, pending.charset == word.charset {
                run?.bytes += word.bytes
                run?.end = word.end
            } else {
                flushRun()
                run = (word.charset, word.bytes, index, word.end)
            }
            index = word.end
            literalStart = word.end
        }
        flushRun()
        output += String(decoding: bytes[literalStart...], as: UTF8.self)
        return output
    }

    /// The longest encoded word accepted, in bytes: RFC 2047 says 75, some mailers write longer ones.
    static let maxEncodedWordLength = 512

    static func isFoldingWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A
    }

    /// Reads one encoded word starting at `start` (at its `=?`): its charset (lowercased, without an
    /// RFC 2231 language), its decoded bytes, and the index just past its `?=`.
    ///
    /// An encoded word has no white space and no `?` in its text, and is bounded in length: the scan stops
    /// there, which keeps a header full of stray `=?` linear.
    private static func encodedWord(_ bytes: [UInt8], at start: Int) -> (charset: String, bytes: [UInt8], end: Int)? {
        let limit = min(bytes.count, start + maxEncodedWordLength)
        /// The index of the next `?` from `from`, or nil at white space or the limit.
        func question(from: Int) -> Int? {
            var index = from
            while index < limit {
                let byte = bytes[index]
                if byte == UInt8(ascii: "?") { return index }
                if isFoldingWhitespace(byte) { return nil }
                index += 1
            }
            return nil
        }
        guard let q1 = question(from: start + 2), q1 > start + 2,
              let q2 = question(from: q1 + 1), q2 == q1 + 2,
              let q3 = question(from: q2 + 1), q3 + 1 < limit, bytes[q3 + 1] == UInt8(ascii: "=") else { return nil }
        var charset = String(decoding: bytes[(start + 2)..<q1], as: UTF8.self).lowercased()
        if let star = charset.firstIndex(of: "*") { charset = String(charset[..<star]) }  // RFC 2231 language
        let payload = Array(bytes[(q2 + 1)..<q3])
        let decoded: [UInt8]
        switch bytes[q1 + 1] {
        case UInt8(ascii: "B"), UInt8(ascii: "b"): guard let value = try? base64(payload) else { return nil }; decoded = value
        case UInt8(ascii: "Q"), UInt8(ascii: "q"): decoded = quotedPrintable(payload, underscoreIsSpace: true)
        default: return nil
        }
        return (charset, decoded, q3 + 2)
    }

    // MARK: Dates

    static let monthNames = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    static let zoneOffsets: [String: Int] = [
        "ut": 0, "utc": 0, "gmt": 0, "z": 0, "est": -5, "edt": -4, "cst": -6, "cdt": -5, "mst": -7, "mdt": -6, "pst": -8, "pdt": -7,
        "cet": 1, "cest": 2,
    ]

    /// Reads an RFC 5322 date: `Thu, 27 Nov 2026 21:14:05 +0100` (weekday, seconds and zone optional).
    static func parseDate(_ text: String) -> Date? {
        var cleaned = text
        if let paren = cleaned.firstIndex(of: "(") { cleaned = String(cleaned[..<paren]) }
        var tokens = cleaned.replacingOccurrences(of: ",", with: " ").split(whereSeparator: \.isWhitespace).map { $0.lowercased() }
        if let first = tokens.first, first.first?.isLetter == true { tokens.removeFirst() }
        guard tokens.count >= 4, let day = Int(tokens[0]), let month = monthNames.firstIndex(where: { tokens[1].hasPrefix($0) }),
              var year = Int(tokens[2]) else { return nil }
        if year < 50 { year += 2000 } else if year < 1000 { year += 1900 }
        let time = tokens[3].split(separator: ":").compactMap { Int($0) }
        guard time.count >= 2 else { return nil }
        var offset = 0
        if tokens.count >= 5 {
            let zone = tokens[4]
            if let sign = zone.first, sign == "+" || sign == "-", zone.count == 5, let value = Int(zone.dropFirst()) {
                // RFC 5322's zone is hours and minutes: "-9999" is no offset (it was read as 99 h 99 min).
                guard value / 100 <= 23, value % 100 <= 59 else { return nil }
                offset = (sign == "-" ? -1 : 1) * ((value / 100) * 3600 + (value % 100) * 60)
            } else if let hours = zoneOffsets[zone] {
                offset = hours * 3600
            }
        }
        guard CivilTime.isValid(year: year, month: month + 1, day: day, hour: time[0], minute: time[1], second: time.count > 2 ? time[2] : 0) else {
            return nil
        }
        let seconds = CivilTime.epochSeconds(
            year: year, month: month + 1, day: day, hour: time[0], minute: time[1], second: time.count > 2 ? time[2] : 0)
        // Within the instants a message can carry, as every other reader's dates (a year 12026 came out as 2026).
        return CivilTime.plausible(Date(timeIntervalSince1970: TimeInterval(seconds - offset)))
    }
}
