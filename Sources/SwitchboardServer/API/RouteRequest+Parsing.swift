import Switchboard

/// A hand-written reader for the usual body of `POST /v1/route`.
///
/// Foundation's `JSONDecoder` took about 3% of the server's time per request (5 µs of a 160 µs request
/// under `Benchmarks/serve.sh`), most of it building its generic JSON tree and coding paths for an object
/// of two or three fields. This reader takes the common shape only: one object whose members are `text`,
/// `id`, `channel` (strings, or null for the optional two) and `explain` (true, false or null), each at
/// most once, strings with any JSON escape. Anything else (`metadata`, an unknown or repeated member, a
/// number, a lone surrogate, invalid UTF-8, malformed JSON) makes it give up and return nil, and the body
/// goes to `JSONDecoder` as before, which also writes the error messages. So it can only ever accept what
/// `JSONDecoder` accepts, with the same result; a test checks this on generated bodies.
extension RouteRequest {
    /// The request in `body`, or nil when the body is not of the common shape (decode it with `JSONDecoder`).
    static func parseCommonShape(_ body: UnsafeRawBufferPointer) -> RouteRequest? {
        var reader = JSONObjectReader(bytes: body)
        return reader.readRouteRequest()
    }
}

/// A cursor over one JSON object's bytes; every method returns nil (or false) at the first surprise.
private struct JSONObjectReader {
    let bytes: UnsafeRawBufferPointer
    var index = 0

    init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    mutating func readRouteRequest() -> RouteRequest? {
        var text: String?, id: String?, channel: String?, explain: Bool?
        skipWhitespace()
        guard take(0x7B) else { return nil }  // {
        skipWhitespace()
        if !take(0x7D) {  // not an empty object
            // Which members were read (a bit each), to give up on a repeated one.
            var seen: UInt8 = 0
            while true {
                skipWhitespace()
                guard let key = readString(), let member = Member(rawValue: key), seen & member.bit == 0 else { return nil }
                seen |= member.bit
                skipWhitespace()
                guard take(0x3A) else { return nil }  // :
                skipWhitespace()
                switch member {
                case .text:
                    guard let value = readString() else { return nil }
                    text = value
                case .id, .channel:
                    guard let value = readOptionalString() else { return nil }
                    if member == .id { id = value } else { channel = value }
                case .explain:
                    guard let value = readOptionalBool() else { return nil }
                    explain = value
                }
                skipWhitespace()
                if take(0x2C) { continue }  // ,
                guard take(0x7D) else { return nil }  // }
                break
            }
        }
        skipWhitespace()
        guard index == bytes.count, let text else { return nil }
        return RouteRequest(text: text, id: id, channel: channel, metadata: nil, explain: explain)
    }

    /// The members this reader takes; any other sends the body to `JSONDecoder`.
    enum Member: String {
        case text, id, channel, explain

        var bit: UInt8 {
            switch self {
            case .text: 1
            case .id: 2
            case .channel: 4
            case .explain: 8
            }
        }
    }

    /// A string, or nil for `null`; `.none` when neither.
    mutating func readOptionalString() -> String?? {
        if takeLiteral("null") { return .some(nil) }
        guard let value = readString() else { return .none }
        return .some(value)
    }

    mutating func readOptionalBool() -> Bool?? {
        if takeLiteral("true") { return .some(true) }
        if takeLiteral("false") { return .some(false) }
        if takeLiteral("null") { return .some(nil) }
        return .none
    }

    /// A JSON string with its escapes resolved; nil if malformed, with a lone surrogate or invalid UTF-8.
    mutating func readString() -> String? {
        guard take(0x22) else { return nil }
        let start = index
        // The usual case: no escape. Find the closing quote and make the string from the bytes in place.
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x22 {
                let slice = UnsafeRawBufferPointer(rebasing: bytes[start..<index])
                index += 1
                return String(validating: slice, as: UTF8.self)
            }
            if byte == 0x5C { break }
            if byte < 0x20 { return nil }
            index += 1
        }
        guard index < bytes.count else { return nil }
        // An escape: copy what came before it, then go on byte by byte.
        var out = [UInt8](bytes[start..<index])
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case 0x22:
                return String(validating: out, as: UTF8.self)
            case 0x5C:
                guard index < bytes.count else { return nil }
                let escape = bytes[index]
                index += 1
                switch escape {
                case 0x22, 0x5C, 0x2F: out.append(escape)
                case 0x62: out.append(0x08)
                case 0x66: out.append(0x0C)
                case 0x6E: out.append(0x0A)
                case 0x72: out.append(0x0D)
                case 0x74: out.append(0x09)
                case 0x75:
                    guard let unit = readHex4() else { return nil }
                    var scalarValue = UInt32(unit)
                    if (0xD800...0xDBFF).contains(unit) {
                        guard take(0x5C), take(0x75), let low = readHex4(), (0xDC00...0xDFFF).contains(low) else { return nil }
                        scalarValue = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(unit) {
                        return nil
                    }
                    guard let scalar = Unicode.Scalar(scalarValue) else { return nil }
                    UTF8.encode(scalar) { out.append($0) }
                default:
                    return nil
                }
            default:
                if byte < 0x20 { return nil }
                out.append(byte)
            }
        }
        return nil
    }

    mutating func readHex4() -> UInt16? {
        guard index + 4 <= bytes.count else { return nil }
        var value: UInt16 = 0
        for _ in 0..<4 {
            guard let digit = HexDigit.value(bytes[index]) else { return nil }
            value = value << 4 | UInt16(digit)
            index += 1
        }
        return value
    }

    mutating func skipWhitespace() {
        while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 {
            index += 1
        }
    }

    mutating func take(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    mutating func takeLiteral(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        let matches = literal.withUTF8Buffer { expected in
            expected.indices.allSatisfy { bytes[index + $0] == expected[$0] }
        }
        if matches { index += count }
        return matches
    }
}
