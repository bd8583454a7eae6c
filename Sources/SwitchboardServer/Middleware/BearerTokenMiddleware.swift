import Hummingbird

/// Requires `Authorization: Bearer <token>` on every path but the public ones (`/healthz`, `/readyz`,
/// `/metrics`); answers 401 otherwise. The token is compared in constant time.
struct BearerTokenMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext

    private let expected: [UInt8]

    init(token: String) {
        expected = Array(token.utf8)
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if APIEndpoint.publicPaths.contains(request.uri.path) {
            return try await next(request, context)
        }
        guard let header = request.headers[.authorization] else {
            throw APIError.unauthorized("this endpoint needs an 'Authorization: Bearer <token>' header")
        }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw APIError.unauthorized("the Authorization header must be 'Bearer <token>'")
        }
        let presented = Array(parts[1].trimmingPrefix(while: { $0 == " " }).utf8)
        guard Self.constantTimeEquals(presented, expected) else {
            throw APIError.unauthorized("the bearer token is not valid")
        }
        return try await next(request, context)
    }

    /// Whether two byte strings are equal, in a time that depends only on the expected one's length.
    static func constantTimeEquals(_ presented: [UInt8], _ expected: [UInt8]) -> Bool {
        var difference = UInt(bitPattern: presented.count ^ expected.count)
        for index in expected.indices {
            let byte = index < presented.count ? presented[index] : 0
            difference |= UInt(byte ^ expected[index])
        }
        return difference == 0
    }
}
