import Foundation
import Hummingbird
import NIOCore
import Switchboard

/// Reads and decodes request bodies under the size limit, turning every failure into an ``APIError``.
enum RequestBody {
    /// Collects the body, refusing it (413) when over `limit` bytes, by its Content-Length or as it arrives.
    static func collect(_ request: Request, limit: Int) async throws -> ByteBuffer {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw APIError.bodyTooLarge(limit: limit)
        }
        do {
            return try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw APIError.bodyTooLarge(limit: limit)
        }
    }

    /// Decodes the body of `POST /v1/route`: by hand when it has the common shape
    /// (``RouteRequest/parseCommonShape(_:)``), otherwise, and for every error, as ``decode(_:from:limit:)`` does.
    static func decodeRouteRequest(from request: Request, limit: Int) async throws -> RouteRequest {
        let buffer = try await collect(request, limit: limit)
        if let parsed = buffer.withUnsafeReadableBytes(RouteRequest.parseCommonShape) { return parsed }
        return try decode(RouteRequest.self, from: buffer)
    }

    /// Decodes a JSON body into `T`; malformed JSON, missing and mistyped fields give 400s that name the field.
    static func decode<T: Decodable>(_ type: T.Type, from request: Request, limit: Int) async throws -> T {
        try decode(type, from: try await collect(request, limit: limit))
    }

    /// Decodes collected bytes into `T`, with the errors of ``decode(_:from:limit:)``.
    static func decode<T: Decodable>(_ type: T.Type, from buffer: ByteBuffer) throws -> T {
        guard buffer.readableBytes > 0 else { throw APIError.malformedJSON("the body is empty") }
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch let error as DecodingError {
            if case .dataCorrupted(let context) = error, context.codingPath.isEmpty {
                throw APIError.malformedJSON(parseFailure(buffer, context))
            }
            throw apiError(for: error)
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError.malformedJSON("it could not be decoded")
        }
    }

    /// Why a body does not parse, with where, but never a quote of it: invalid UTF-8 by byte offset, otherwise
    /// the line and column the decoder names ("it does not parse" alone left the client to guess).
    static func parseFailure(_ buffer: ByteBuffer, _ context: DecodingError.Context) -> String {
        let bytes = Array(buffer.readableBytesView)
        var iterator = bytes.makeIterator(), decoder = UTF8(), offset = 0
        decoding: while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): offset += UTF8.width(scalar)
            case .emptyInput: break decoding
            case .error: return "it is not valid UTF-8 (at byte \(offset))"
            }
        }
        // JSONDecoder says only "not valid JSON"; JSONSerialization says what and at which character (taken in
        // words of ours: its own can quote the body). Parsed again only on this error path.
        do {
            _ = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
        } catch {
            if let debug = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String,
               let reason = SwitchboardError.jsonParseReason(debug) {
                return "it does not parse: " + reason
            }
        }
        return "it does not parse"
    }

    /// `messages[3].text`.
    static func path(_ codingPath: [any CodingKey]) -> String {
        var out = ""
        for key in codingPath {
            if let index = key.intValue {
                out += "[\(index)]"
            } else {
                if !out.isEmpty { out += "." }
                out += key.stringValue
            }
        }
        return out
    }

    /// A decoding error as a 400 that names the field but never quotes the body.
    static func apiError(for error: DecodingError) -> APIError {
        switch error {
        case .keyNotFound(let key, let context):
            return .missingField(path(context.codingPath + [key]))
        case .valueNotFound(_, let context):
            return .missingField(path(context.codingPath))
        case .typeMismatch(let type, let context):
            if context.codingPath.isEmpty { return .malformedJSON("expected a JSON object") }
            return .invalidField(path(context.codingPath), "must be \(describe(type))")
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return .malformedJSON("it does not parse") }
            return .invalidField(path(context.codingPath), context.debugDescription == JSONValue.tooDeep ? JSONValue.tooDeep : "has an invalid value")
        @unknown default:
            return .malformedJSON("it could not be decoded")
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        case is Int.Type, is Double.Type: return "a number"
        case is [Any].Type: return "an array"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Array") { return "an array" }
            if name.hasPrefix("Dictionary") { return "an object" }
            return "of type \(name)"
        }
    }
}
