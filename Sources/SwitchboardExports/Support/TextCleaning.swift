/// Small text repairs shared by the readers.
enum TextCleaning {
    /// Text with surrounding whitespace (and invisible marks) removed.
    static func trimmed(_ text: String) -> String {
        // Fast path (the common case on the batch hot path): printable ASCII at both ends.
        if let first = text.utf8.first, let last = text.utf8.last, first > 0x20, first < 0x7F, last > 0x20, last < 0x7F {
            return text
        }
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !isBlank($0) }),
              let last = scalars.lastIndex(where: { !isBlank($0) }) else { return "" }
        return String(scalars[first...last])
    }

    static func isBlank(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isWhitespace || isInvisibleMark(scalar)
    }

    /// Left-to-right/right-to-left marks and the byte order mark, which WhatsApp and others sprinkle in text.
    static func isInvisibleMark(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x200E, 0x200F, 0xFEFF, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }

    /// Removes directional marks anywhere in the text.
    static func removingInvisibleMarks(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isInvisibleMark) else { return text }
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: text.unicodeScalars.lazy.filter { !isInvisibleMark($0) })
        return String(scalars)
    }

    /// Undoes the mojibake of Facebook's exports: UTF-8 bytes written as `\u00XX` code points.
    ///
    /// When every scalar is at most U+00FF and some are above U+007F, the scalars are read back as
    /// bytes and decoded as UTF-8; if that is not valid UTF-8 the text is returned unchanged.
    static func fixingLatin1Mojibake(_ text: String) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var sawHigh = false
        for scalar in text.unicodeScalars {
            guard scalar.value <= 0xFF else { return text }
            if scalar.value >= 0x80 { sawHigh = true }
            bytes.append(UInt8(scalar.value))
        }
        guard sawHigh, let decoded = decodeUTF8Strictly(bytes) else { return text }
        return decoded
    }

    /// How a charset label is read, alike in HTML pages and mail bodies.
    enum CharsetLabel {
        /// An alias of UTF-8.
        case utf8
        /// Windows-1252, and ISO-8859-1 read as it, as browsers and mail clients do: Outlook labels Windows-1252
        /// text ISO-8859-1, and its 0x92 is an apostrophe, not the control character U+0092.
        case windows1252
        /// ASCII, which says nothing of the bytes above 0x7F.
        case ascii
    }

    /// What the lowercased charset `label` is, among the labels read here rather than by libxml2 or Foundation; nil
    /// for any other (the page's and the mail's lists had drifted apart: "win-1252" was one in mail only).
    static func charsetLabel(_ label: String) -> CharsetLabel? {
        switch label {
        case "utf-8", "utf8", "unicode-1-1-utf-8", "x-unicode20utf8", "unicode-2-0-utf-8":
            .utf8
        case "windows-1252", "cp1252", "cp-1252", "x-cp1252", "win-1252",
             "iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1", "l1", "iso-ir-100", "cp819":
            .windows1252
        case "us-ascii", "ascii", "ansi_x3.4-1968":
            .ascii
        default:
            nil
        }
    }

    /// The UTF-8 of Windows-1252 bytes; the five bytes that charset leaves undefined become U+FFFD.
    static func utf8FromWindows1252(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + bytes.count / 8)
        for byte in bytes {
            if byte < 0x80 { out.append(byte); continue }
            out.append(contentsOf: String(windows1252Scalar(byte)).utf8)
        }
        return out
    }

    /// The text with each C1 control character (U+0080 to U+009F) replaced by the Windows-1252 character of its
    /// byte, as browsers read `&#146;`: an apostrophe, not a control character. Text never means those controls.
    static func replacingC1Controls(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { (0x80...0x9F).contains($0.value) }) else { return text }
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            scalars.append((0x80...0x9F).contains(scalar.value) ? windows1252Scalar(UInt8(scalar.value)) : scalar)
        }
        return String(scalars)
    }

    /// The Windows-1252 character of a byte (U+FFFD for the five it leaves undefined).
    static func windows1252Scalar(_ byte: UInt8) -> Unicode.Scalar {
        guard byte >= 0x80, byte <= 0x9F else { return Unicode.Scalar(byte) }
        return MailDecoding.windows1252[Int(byte - 0x80)].flatMap(Unicode.Scalar.init) ?? "\u{FFFD}"
    }

    /// The bytes with every byte that is not part of valid UTF-8 replaced by the UTF-8 of its Windows-1252
    /// character: a UTF-8 text with a few pasted Windows-1252 bytes (a Word apostrophe, a no-break space).
    static func utf8RepairingWithWindows1252(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + bytes.count / 8)
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            if byte < 0x80 { out.append(byte); i += 1; continue }
            let length = validUTF8SequenceLength(bytes, at: i)
            if length > 0 {
                out.append(contentsOf: bytes[i..<(i + length)])
                i += length
                continue
            }
            out.append(contentsOf: String(windows1252Scalar(byte)).utf8)
            i += 1
        }
        return out
    }

    /// The length of the valid UTF-8 sequence starting at `i` (2 to 4), or 0 when none starts there.
    static func validUTF8SequenceLength(_ bytes: [UInt8], at i: Int) -> Int {
        func continuation(_ k: Int, _ range: ClosedRange<UInt8> = 0x80...0xBF) -> Bool { k < bytes.count && range.contains(bytes[k]) }
        switch bytes[i] {
        case 0xC2...0xDF: return continuation(i + 1) ? 2 : 0
        case 0xE0: return continuation(i + 1, 0xA0...0xBF) && continuation(i + 2) ? 3 : 0
        case 0xE1...0xEC, 0xEE...0xEF: return continuation(i + 1) && continuation(i + 2) ? 3 : 0
        case 0xED: return continuation(i + 1, 0x80...0x9F) && continuation(i + 2) ? 3 : 0
        case 0xF0: return continuation(i + 1, 0x90...0xBF) && continuation(i + 2) && continuation(i + 3) ? 4 : 0
        case 0xF1...0xF3: return continuation(i + 1) && continuation(i + 2) && continuation(i + 3) ? 4 : 0
        case 0xF4: return continuation(i + 1, 0x80...0x8F) && continuation(i + 2) && continuation(i + 3) ? 4 : 0
        default: return 0
        }
    }

    /// Decodes UTF-8, or nil when the bytes are not valid UTF-8.
    static func decodeUTF8Strictly(_ bytes: some Collection<UInt8>) -> String? {
        var decoder = UTF8()
        var iterator = bytes.makeIterator()
        var scalars = String.UnicodeScalarView()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): scalars.append(scalar)
            case .emptyInput: return String(scalars)
            case .error: return nil
            }
        }
    }

    /// Collapses runs of blank lines to one and trims trailing spaces on each line.
    static func tidyLines(_ text: String) -> String {
        var output: [Substring] = []
        var blank = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = line
            while let last = line.last, last == " " || last == "\t" || last == "\r" || last == "\u{A0}" { line.removeLast() }
            if line.allSatisfy({ $0.isWhitespace }) {
                if !output.isEmpty { blank = true }
                continue
            }
            if blank { output.append(""); blank = false }
            output.append(line)
        }
        return output.joined(separator: "\n")
    }
}
