import Switchboard

/// A strict JSON (RFC 8259) parser over UTF-8 bytes.
///
/// Written by hand rather than using Foundation's `JSONSerialization` because it sits on the hot
/// path of `switchboard batch`: a JSON Lines line is parsed straight from the reader's buffer
/// without copying it into `Data`, without bridging through `NSDictionary`/`NSString`, and, with
/// ``JSONFieldSelector``, without building values for the fields nobody asked for (they are
/// validated and skipped). Strings with invalid UTF-8 are repaired with U+FFFD, never rejected.
/// Nesting is bounded by `maxDepth` so that hostile input cannot exhaust the stack.
struct JSONScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0
    let maxDepth: Int
    /// Reused buffer for decoding strings.
    var scratch: [UInt8] = []

    init(bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    func error(_ message: String) -> JSONSyntaxError {
        JSONSyntaxError(message: message, offset: index)
    }

    @inline(__always) mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    @inline(__always) func peek() -> UInt8? {
        index < bytes.count ? bytes[index] : nil
    }

    mutating func expect(_ byte: UInt8, _ what: String) throws {
        skipWhitespace()
        guard peek() == byte else {
            throw error(index < bytes.count ? "expected \(what)" : "unexpected end of input, expected \(what)")
        }
        index += 1
    }

    /// Checks that only whitespace is left.
    mutating func expectEnd() throws {
        skipWhitespace()
        if index < bytes.count { throw error("unexpected characters after the JSON value") }
    }

    // MARK: Values

    /// Parses any value into a ``JSONValue``.
    mutating func parseValue(depth: Int = 0) throws -> JSONValue {
        skipWhitespace()
        guard let byte = peek() else { throw error("unexpected end of input, expected a value") }
        switch byte {
        case UInt8(ascii: "{"):
            guard depth < maxDepth else { throw error("nesting deeper than \(maxDepth)") }
            index += 1
            var members: [(key: String, value: JSONValue)] = []
            skipWhitespace()
            if peek() == UInt8(ascii: "}") { index += 1; return .object(members) }
            while true {
                skipWhitespace()
                guard peek() == UInt8(ascii: "\"") else { throw error("expected a string key") }
                let key = try parseString()
                try expect(UInt8(ascii: ":"), "':'")
                members.append((key, try parseValue(depth: depth + 1)))
                skipWhitespace()
                guard let next = peek() else { throw error("unexpected end of input in an object") }
                index += 1
                if next == UInt8(ascii: "}") { return .object(members) }
                if next != UInt8(ascii: ",") { index -= 1; throw error("expected ',' or '}'") }
                if closesAfterTrailingComma(UInt8(ascii: "}")) { return .object(members) }
            }
        case UInt8(ascii: "["):
            guard depth < maxDepth else { throw error("nesting deeper than \(maxDepth)") }
            index += 1
            var elements: [JSONValue] = []
            skipWhitespace()
            if peek() == UInt8(ascii: "]") { index += 1; return .array(elements) }
            while true {
                elements.append(try parseValue(depth: depth + 1))
                skipWhitespace()
                guard let next = peek() else { throw error("unexpected end of input in an array") }
                index += 1
                if next == UInt8(ascii: "]") { return .array(elements) }
                if next != UInt8(ascii: ",") { index -= 1; throw error("expected ',' or ']'") }
                if closesAfterTrailingComma(UInt8(ascii: "]")) { return .array(elements) }
            }
        case UInt8(ascii: "\""):
            return .string(try parseString())
        case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
            return try parseLiteral()
        default:
            return .number(try parseNumber())
        }
    }

    /// After a comma: whether the object or array closes right away (`{"a": 1,}`), which is then consumed. A
    /// trailing comma is accepted, as `train`, `eval` and `serve` (Foundation's parser) accept it: the same
    /// export line must not be a message for one command and an error for another.
    mutating func closesAfterTrailingComma(_ closer: UInt8) -> Bool {
        skipWhitespace()
        guard peek() == closer else { return false }
        index += 1
        return true
    }

    /// Validates and skips any value without building it.
    mutating func skipValue(depth: Int) throws {
        skipWhitespace()
        guard let byte = peek() else { throw error("unexpected end of input, expected a value") }
        switch byte {
        case UInt8(ascii: "{"):
            guard depth < maxDepth else { throw error("nesting deeper than \(maxDepth)") }
            index += 1
            skipWhitespace()
            if peek() == UInt8(ascii: "}") { index += 1; return }
            while true {
                skipWhitespace()
                guard peek() == UInt8(ascii: "\"") else { throw error("expected a string key") }
                try skipString()
                try expect(UInt8(ascii: ":"), "':'")
                try skipValue(depth: depth + 1)
                skipWhitespace()
                guard let next = peek() else { throw error("unexpected end of input in an object") }
                index += 1
                if next == UInt8(ascii: "}") { return }
                if next != UInt8(ascii: ",") { index -= 1; throw error("expected ',' or '}'") }
                if closesAfterTrailingComma(UInt8(ascii: "}")) { return }
            }
        case UInt8(ascii: "["):
            guard depth < maxDepth else { throw error("nesting deeper than \(maxDepth)") }
            index += 1
            skipWhitespace()
            if peek() == UInt8(ascii: "]") { index += 1; return }
            while true {
                try skipValue(depth: depth + 1)
                skipWhitespace()
                guard let next = peek() else { throw error("unexpected end of input in an array") }
                index += 1
                if next == UInt8(ascii: "]") { return }
                if next != UInt8(ascii: ",") { index -= 1; throw error("expected ',' or ']'") }
                if closesAfterTrailingComma(UInt8(ascii: "]")) { return }
            }
        case UInt8(ascii: "\""):
            try skipString()
        case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
            _ = try parseLiteral()
        default:
            _ = try parseNumberRange()
        }
    }

    mutating func parseLiteral() throws -> JSONValue {
        func matches(_ word: StaticString) -> Bool {
            let count = word.utf8CodeUnitCount
            guard index + count <= bytes.count else { return false }
            let pointer = word.utf8Start
            for offset in 0..<count where bytes[index + offset] != pointer[offset] { return false }
            return true
        }
        if matches("true") { index += 4; return .bool(true) }
        if matches("false") { index += 5; return .bool(false) }
        if matches("null") { index += 4; return .null }
        throw error("invalid literal")
    }

    /// Validates a number and returns its byte range.
    mutating func parseNumberRange() throws -> Range<Int> {
        let start = index
        func digits() -> Int {
            let begin = index
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 { index += 1 }
            return index - begin
        }
        if peek() == UInt8(ascii: "-") { index += 1 }
        guard let first = peek(), first >= 0x30, first <= 0x39 else { throw error("invalid value") }
        if first == 0x30 { index += 1 } else { _ = digits() }
        if peek() == UInt8(ascii: ".") {
            index += 1
            guard digits() > 0 else { throw error("invalid number") }
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            index += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else { throw error("invalid number") }
        }
        return start..<index
    }

    mutating func parseNumber() throws -> String {
        let range = try parseNumberRange()
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    // MARK: Strings

    /// Parses a string (the index is on its opening quote) into a `String`.
    mutating func parseString() throws -> String {
        var buffer = scratch
        scratch = []
        buffer.removeAll(keepingCapacity: true)
        try parseStringBytes(into: &buffer)
        let string = String(decoding: buffer, as: UTF8.self)
        scratch = buffer
        return string
    }

    /// Skips a string, validating its escapes.
    mutating func skipString() throws {
        index += 1
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") { index += 1; return }
            if byte == UInt8(ascii: "\\") {
                index += 1
                guard let escaped = peek() else { break }
                if escaped == UInt8(ascii: "u") {
                    index += 1
                    _ = try hex4()
                    continue
                }
                guard Self.isSimpleEscape(escaped) else { throw error("invalid escape in a string") }
                index += 1
                continue
            }
            if byte < 0x20 { throw error("control character in a string") }
            index += 1
        }
        throw error("unterminated string")
    }

    static func isSimpleEscape(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
             UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"): true
        default: false
        }
    }

    mutating func hex4() throws -> UInt32 {
        guard index + 4 <= bytes.count else { throw error("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let digit = HexDigit.value(bytes[index]) else { throw error("invalid \\u escape") }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    /// Decodes a string (the index is on its opening quote) as UTF-8 bytes appended to `output`.
    mutating func parseStringBytes(into output: inout [UInt8]) throws {
        index += 1
        var runStart = index
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                index += 1
                return
            }
            if byte == UInt8(ascii: "\\") {
                output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                index += 1
                guard let escaped = peek() else { break }
                index += 1
                switch escaped {
                case UInt8(ascii: "\""): output.append(0x22)
                case UInt8(ascii: "\\"): output.append(0x5C)
                case UInt8(ascii: "/"): output.append(0x2F)
                case UInt8(ascii: "b"): output.append(0x08)
                case UInt8(ascii: "f"): output.append(0x0C)
                case UInt8(ascii: "n"): output.append(0x0A)
                case UInt8(ascii: "r"): output.append(0x0D)
                case UInt8(ascii: "t"): output.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if scalar >= 0xD800, scalar < 0xDC00 {
                        // A high surrogate must be followed by an escaped low surrogate.
                        if index + 6 <= bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") {
                            let save = index
                            index += 2
                            let low = try hex4()
                            if low >= 0xDC00, low < 0xE000 {
                                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                            } else {
                                index = save
                                scalar = 0xFFFD
                            }
                        } else {
                            scalar = 0xFFFD
                        }
                    } else if scalar >= 0xDC00, scalar < 0xE000 {
                        scalar = 0xFFFD
                    }
                    Self.appendUTF8(scalar, to: &output)
                default:
                    index -= 1
                    throw error("invalid escape in a string")
                }
                runStart = index
                continue
            }
            if byte < 0x20 { throw error("control character in a string") }
            index += 1
        }
        throw error("unterminated string")
    }

    static func appendUTF8(_ scalar: UInt32, to output: inout [UInt8]) {
        switch scalar {
        case ..<0x80:
            output.append(UInt8(scalar))
        case ..<0x800:
            output.append(UInt8(0xC0 | scalar >> 6))
            output.append(UInt8(0x80 | scalar & 0x3F))
        case ..<0x10000:
            output.append(UInt8(0xE0 | scalar >> 12))
            output.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            output.append(UInt8(0x80 | scalar & 0x3F))
        default:
            output.append(UInt8(0xF0 | scalar >> 18))
            output.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            output.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            output.append(UInt8(0x80 | scalar & 0x3F))
        }
    }
}

extension JSONScanner {
    /// Parses a whole document into a value, checking that nothing follows it.
    static func parseDocument(_ bytes: [UInt8], maxDepth: Int) throws -> JSONValue {
        try bytes.withUnsafeBufferPointer { buffer in
            var scanner = JSONScanner(bytes: buffer, maxDepth: maxDepth)
            // Skip a UTF-8 byte order mark.
            if buffer.count >= 3, buffer[0] == 0xEF, buffer[1] == 0xBB, buffer[2] == 0xBF { scanner.index = 3 }
            let value = try scanner.parseValue()
            try scanner.expectEnd()
            return value
        }
    }
}
