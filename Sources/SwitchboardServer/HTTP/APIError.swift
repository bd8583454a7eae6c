import Foundation
import Hummingbird
import NIOCore
import Switchboard

/// An error the API answers with: an HTTP status and a JSON body `{"error": "...", "code": "..."}`.
///
/// `code` is stable and meant for programs (`malformed_json`, `missing_field`, `body_too_large`...);
/// `error` is a sentence for people. Neither ever carries message text.
public struct APIError: Error, HTTPResponseError, Sendable, CustomStringConvertible {
    /// The HTTP status.
    public var status: HTTPResponse.Status
    /// The stable error code.
    public var code: String
    /// What went wrong, for a person.
    public var message: String
    /// Extra response headers (`Allow`, `WWW-Authenticate`).
    public var headers: HTTPFields

    /// Creates an error.
    public init(_ status: HTTPResponse.Status, code: String, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    /// `status code: message`.
    public var description: String { "\(status.code) \(code): \(message)" }

    /// The JSON body.
    public var json: String {
        var out = "{\"error\":"
        JSONText.appendString(message, to: &out)
        out += ",\"code\":"
        JSONText.appendString(code, to: &out)
        out += "}"
        return out
    }

    /// The error as a response.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        response()
    }

    /// The error as a response.
    public func response() -> Response {
        var response = Response.json(json, status: status)
        response.headers.append(contentsOf: headers)
        return response
    }
}

extension APIError {
    /// The code of a request cut short by the shutdown timeout (503): the server was stopping.
    static let shuttingDownCode = "shutting_down"

    /// 400: the body is not the JSON the endpoint expects.
    static func malformedJSON(_ detail: String) -> APIError {
        APIError(.badRequest, code: "malformed_json", "the request body is not valid JSON: \(detail)")
    }

    /// 400: a required field is missing.
    static func missingField(_ path: String) -> APIError {
        APIError(.badRequest, code: "missing_field", "the field '\(path)' is required")
    }

    /// 400: a field has the wrong type or value.
    static func invalidField(_ path: String, _ detail: String) -> APIError {
        APIError(.badRequest, code: "invalid_field", "the field '\(path)' \(detail)")
    }

    /// 413: the body is over the limit.
    static func bodyTooLarge(limit: Int) -> APIError {
        APIError(.contentTooLarge, code: "body_too_large", "the request body is larger than the limit of \(limit) bytes")
    }

    /// 404: no such endpoint.
    static func notFound(_ path: String) -> APIError {
        APIError(.notFound, code: "not_found", "no endpoint at \(path)")
    }

    /// 405: the endpoint exists for other methods.
    static func methodNotAllowed(_ method: HTTPRequest.Method, path: String, allowed: [HTTPRequest.Method]) -> APIError {
        let allow = allowed.map(\.rawValue).joined(separator: ", ")
        return APIError(.methodNotAllowed, code: "method_not_allowed", "\(path) does not accept \(method.rawValue) (allowed: \(allow))",
                        headers: [.allow: allow])
    }

    /// 401: no token, or the wrong one.
    static func unauthorized(_ detail: String) -> APIError {
        APIError(.unauthorized, code: "unauthorized", detail, headers: [.wwwAuthenticate: "Bearer"])
    }
}

extension Response {
    /// A JSON response from an already-encoded body.
    static func json(_ body: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    /// A JSON response from a body written as bytes.
    static func json(_ body: JSONBuffer, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                 body: ResponseBody(byteBuffer: ByteBuffer(bytes: body.bytes)))
    }
}
