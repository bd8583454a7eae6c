import Foundation

/// Any JSON value: the caller's `metadata`, carried through untouched.
///
/// Integers are kept as integers: read as `Double`, an order number of 9007199254740993 came back as
/// 9007199254740992. Other numbers are `Double`s (17 significant digits). A number is told by its value, not
/// its spelling: `1.0` and `1e3` are the integers 1 and 1000, and come back so.
public enum JSONValue: Sendable, Hashable, Codable {
    case null
    case bool(Bool)
    /// A whole number that fits a signed 64-bit integer.
    case integer(Int64)
    /// A whole number above `Int64.max` that fits an unsigned 64-bit integer.
    case unsignedInteger(UInt64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// The deepest nesting of arrays and objects accepted inside a value (a message's `metadata`), the same in
    /// `/v1/route` and in each message of `/v1/route/batch`.
    public static let maximumDepth = 64

    /// Decodes any JSON value.
    ///
    /// Containers are tried before scalars, and each node is decoded once: trying every scalar type and then
    /// an array before an object, with `try?`, cost time growing with the cube of the nesting (a 1 KB body
    /// nested 500 deep took 1.7 s of an event loop), and turned an error deep inside into "must be an object".
    public init(from decoder: any Decoder) throws {
        // Counted from the request's `metadata` field: the first key so named (a key "metadata" inside the metadata
        // restarted the count, and nesting 500 deep got through).
        let path = decoder.codingPath
        let top = path.firstIndex { $0.stringValue == "metadata" && $0.intValue == nil } ?? -1
        if path.count - top - 1 > Self.maximumDepth {
            throw DecodingError.dataCorrupted(.init(codingPath: path, debugDescription: Self.tooDeep))
        }
        if let object = try? decoder.container(keyedBy: AnyKey.self) {
            var values: [String: JSONValue] = [:]
            for key in object.allKeys { values[key.stringValue] = try object.decode(JSONValue.self, forKey: key) }
            self = .object(values)
            return
        }
        if var array = try? decoder.unkeyedContainer() {
            var values: [JSONValue] = []
            if let count = array.count { values.reserveCapacity(count) }
            while !array.isAtEnd { values.append(try array.decode(JSONValue.self)) }
            self = .array(values)
            return
        }
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(UInt64.self) {
            self = .unsignedInteger(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a representable JSON value"))
        }
    }

    /// The error's text, which ``RequestBody`` passes on (Foundation's own are not: they can quote the body).
    static let tooDeep = "is nested more than \(maximumDepth) deep"

    /// Any object key.
    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Encodes the value as it came.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .unsignedInteger(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}
