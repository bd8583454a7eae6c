import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import Switchboard

/// The outermost middleware: turns every error into a JSON ``APIError`` response, times the request,
/// records its metrics, adds `X-Request-ID`, and logs one line per request.
///
/// The log line carries the request id (Hummingbird's `hb.request.id`), method, endpoint, status and
/// duration; never the body, so never message text.
struct RequestObservationMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext

    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var response: Response
        var errorCode: String?
        do {
            response = try await next(request, context)
        } catch {
            let apiError = Self.apiError(for: error, request: request)
            // A request cut short because the server is stopping is expected, not a fault to investigate.
            if apiError.status.code >= 500 && apiError.code != APIError.shuttingDownCode {
                context.logger.error("request failed", metadata: ["error": .string(String(describing: error))])
            }
            response = apiError.response()
            errorCode = apiError.code
        }
        let duration = ContinuousClock.now - start
        // A known path asked with a method it does not take (405) is counted under its path: only unknown paths are
        // `unmatched`, so that the label set stays bounded.
        let endpoint = context.endpointPath.flatMap { $0 == "NotFound" ? nil : $0 }
            ?? APIEndpoint.knownPath(request.uri.path) ?? "unmatched"
        metrics.recordRequest(method: request.method.rawValue, path: endpoint, status: response.status.code, duration: duration)
        if let errorCode { metrics.recordError(code: errorCode) }
        response.headers[.requestID] = context.id
        // The metadata is built only when the line is written (an autoclosure): nothing at --log-level warning.
        context.logger.info("request", metadata: Self.metadata(request: request, endpoint: endpoint, status: response.status.code,
                                                               duration: duration, errorCode: errorCode))
        return response
    }

    static func metadata(request: Request, endpoint: String, status: Int, duration: Duration, errorCode: String?) -> Logger.Metadata {
        var metadata: Logger.Metadata = [
            "http.method": .string(request.method.rawValue),
            "http.path": .string(endpoint),
            "http.status": .stringConvertible(status),
            "duration_ms": .string(milliseconds(duration)),
        ]
        if let errorCode { metadata["error.code"] = .string(errorCode) }
        return metadata
    }

    /// A duration in milliseconds with three decimals (`0.042`), without `String(format:)`, which is slow on Linux.
    static func milliseconds(_ duration: Duration) -> String {
        let microseconds = duration.components.seconds * 1_000_000 + duration.components.attoseconds / 1_000_000_000_000
        let fraction = String(microseconds % 1000)
        return "\(microseconds / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }

    /// Maps any error to the API's JSON error: 404 and 405 for the router's not-found, 413 for an
    /// oversized body, 400 for decoding errors and bodies cut off, 503 for a request cut short by the shutdown timeout, 500
    /// only for what should never happen.
    static func apiError(for error: any Error, request: Request) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as HTTPError where error.status == .notFound:
            let allowed = APIEndpoint.methods(forPath: request.uri.path)
            if allowed.isEmpty { return .notFound(request.uri.path) }
            return .methodNotAllowed(request.method, path: request.uri.path, allowed: allowed)
        case let error as HTTPError:
            return APIError(error.status, code: error.status.reasonPhrase.lowercased().replacingOccurrences(of: " ", with: "_"),
                            error.body ?? error.status.reasonPhrase)
        case is NIOTooManyBytesError:
            return APIError(.contentTooLarge, code: "body_too_large", "the request body is too large")
        case is CancellationError:
            // The shutdown timeout passed while the request was still being read or handled.
            return APIError(.serviceUnavailable, code: APIError.shuttingDownCode,
                            "the server stopped before this request was answered; send it again")
        case let error as HTTPParserError:
            // Mostly a body cut off: the client went away, or the idle timeout closed a stalled upload.
            return APIError(.badRequest, code: "incomplete_request", "the request could not be read in full (\(error))")
        case let error as DecodingError:
            return RequestBody.apiError(for: error)
        case let error as any HTTPResponseError where error.status.code < 500:
            return APIError(error.status, code: "request_error", error.status.reasonPhrase)
        default:
            return APIError(.internalServerError, code: "internal_error", "internal error; the server log has the details")
        }
    }
}

extension HTTPField.Name {
    /// `X-Request-ID`: the id the server's log lines for this request carry.
    static let requestID: HTTPField.Name = {
        guard let name = HTTPField.Name("X-Request-ID") else { preconditionFailure("'X-Request-ID' is a valid header name") }
        return name
    }()
}
