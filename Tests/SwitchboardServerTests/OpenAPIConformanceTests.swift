import Foundation
import Hummingbird
import HummingbirdTesting
import Switchboard
import Testing
import Yams
@testable import SwitchboardServer

/// A JSON value that keeps booleans, integers and other numbers apart.
indirect enum JSONNode: Decodable, Sendable {
    case null, bool(Bool), integer(Int), number(Double), string(String), array([JSONNode]), object([String: JSONNode])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Int.self) { self = .integer(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONNode].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONNode].self)) }
    }
}

/// `openapi.yaml`, parsed, and the checks of responses against it.
///
/// `@unchecked Sendable`: the parsed document is never mutated after `init`.
struct OpenAPISpec: @unchecked Sendable {
    let spec: [String: Any]

    init() throws {
        let text = try String(contentsOf: repositoryRoot.appendingPathComponent("openapi.yaml"), encoding: .utf8)
        spec = try Yams.load(yaml: text) as? [String: Any] ?? [:]
    }

    var paths: [String: [String: Any]] { spec["paths"] as? [String: [String: Any]] ?? [:] }

    func operation(_ endpoint: APIEndpoint) -> [String: Any]? {
        paths[endpoint.path]?[endpoint.method.rawValue.lowercased()] as? [String: Any]
    }

    /// Resolves a `$ref` to its target.
    func resolve(_ node: [String: Any]) -> [String: Any] {
        guard let reference = node["$ref"] as? String, reference.hasPrefix("#/") else { return node }
        var current: Any = spec
        for part in reference.dropFirst(2).split(separator: "/") {
            current = (current as? [String: Any])?[String(part)] ?? [:]
        }
        return resolve(current as? [String: Any] ?? [:])
    }

    /// Where `value` disagrees with `schema`: missing required fields, wrong types, values outside an enum.
    func violations(_ value: JSONNode, _ schemaNode: [String: Any], at path: String = "$") -> [String] {
        let schema = resolve(schemaNode)
        var problems: [String] = []
        switch (schema["type"] as? String, value) {
        case ("object", .object(let object)):
            for field in schema["required"] as? [String] ?? [] where object[field] == nil {
                problems.append("\(path).\(field) is required but missing")
            }
            let properties = schema["properties"] as? [String: Any] ?? [:]
            for (key, child) in object {
                if let property = properties[key] as? [String: Any] {
                    problems += violations(child, property, at: "\(path).\(key)")
                } else if let additional = schema["additionalProperties"] as? [String: Any] {
                    problems += violations(child, additional, at: "\(path).\(key)")
                } else if !properties.isEmpty, schema["additionalProperties"] == nil {
                    problems.append("\(path).\(key) is not in the spec")
                }
            }
        case ("array", .array(let array)):
            if let items = schema["items"] as? [String: Any] {
                for (index, element) in array.enumerated() { problems += violations(element, items, at: "\(path)[\(index)]") }
            }
        case ("string", .string(let string)):
            if let allowed = schema["enum"] as? [String], !allowed.contains(string) {
                problems.append("\(path) is '\(string)', not one of \(allowed)")
            }
        case ("integer", .integer), ("number", .integer), ("number", .number), ("boolean", .bool), (nil, _):
            break
        case (let type?, _):
            problems.append("\(path) is not of type \(type): \(value)")
        }
        return problems
    }

    /// Checks a response against the operation's documented response for its status.
    func check(_ response: TestResponse, _ endpoint: APIEndpoint, _ label: String) {
        let responses = operation(endpoint)?["responses"] as? [String: Any] ?? [:]
        let status = String(response.status.code)
        guard let documented = (responses[status] as? [String: Any]).map(resolve) else {
            Issue.record("\(label): \(endpoint.method.rawValue) \(endpoint.path) answered \(status), which the spec does not list")
            return
        }
        let content = documented["content"] as? [String: Any] ?? [:]
        if let json = content["application/json"] as? [String: Any], let schema = json["schema"] as? [String: Any] {
            #expect(response.headers[.contentType]?.hasPrefix("application/json") == true, "\(label)")
            guard let value = try? JSONDecoder().decode(JSONNode.self, from: Data(response.body.readableBytesView)) else {
                Issue.record("\(label): the body is not JSON")
                return
            }
            let problems = violations(value, schema)
            #expect(problems.isEmpty, "\(label): \(problems)")
        } else if content["text/plain"] != nil {
            #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true, "\(label)")
        }
    }

}

/// Keeps `openapi.yaml` true to the server: the same endpoints, the documented statuses, and response
/// bodies that carry every field the spec marks required, with the types it gives.
@Suite struct OpenAPIConformanceTests {
    let spec: OpenAPISpec

    init() throws {
        spec = try OpenAPISpec()
    }

    var paths: [String: [String: Any]] { spec.paths }

    func operation(_ endpoint: APIEndpoint) -> [String: Any]? { spec.operation(endpoint) }

    @Test func theSpecAndTheServerHaveTheSameEndpoints() {
        let methods: Set<String> = ["get", "post", "put", "patch", "delete", "head", "options"]
        var documented: Set<String> = []
        for (path, item) in paths {
            for key in item.keys where methods.contains(key) { documented.insert("\(key.uppercased()) \(path)") }
        }
        let served = Set(APIEndpoint.allCases.map { "\($0.method.rawValue) \($0.path)" })
        #expect(documented == served)
    }

    @Test func publicEndpointsAreTheOnesTheSpecExemptsFromTheToken() {
        for endpoint in APIEndpoint.allCases {
            let security = operation(endpoint)?["security"] as? [Any]
            let exempt = security?.isEmpty == true
            #expect(exempt == !endpoint.requiresToken, "\(endpoint.path)")
        }
    }

    /// Requests that exercise every endpoint and its documented outcomes.
    static let cases: [(APIEndpoint, String, String?)] = [
        (.route, "routed", #"{"text": "URGENT incendie dans la cuisine", "id": "1", "channel": "email", "metadata": {"k": 1}}"#),
        (.route, "abstained", #"{"text": ""}"#),
        (.route, "no explanation", #"{"text": "devis auto", "explain": false}"#),
        (.route, "malformed", "{"),
        (.route, "too large", #"{"text": ""# + String(repeating: "x", count: 5000) + #""}"#),
        (.routeBatch, "batch", #"{"messages": [{"text": "devis auto", "id": "a"}, {"text": "résiliation"}]}"#),
        (.routeBatch, "batch too large", #"{"messages": [{"text": "a"}, {"text": "b"}, {"text": "c"}]}"#),
        (.routeBatch, "batch missing field", #"{"messages": [{}]}"#),
        (.feedback, "stored", #"{"id": "f1", "text": "t", "label": "claim"}"#),
        (.feedback, "duplicate", #"{"id": "f1", "text": "t", "label": "claim"}"#),
        (.feedback, "conflict", #"{"id": "f1", "text": "t", "label": "billing"}"#),
        (.feedback, "unknown label", #"{"id": "f2", "text": "t", "label": "nope"}"#),
        (.model, "model", nil),
        (.health, "health", nil),
        (.ready, "ready", nil),
        (.metrics, "metrics", nil),
    ]

    @Test func everyResponseMatchesTheSpec() async throws {
        let server = try makeServer {
            $0.maxBodyBytes = 4096
            $0.maxBatch = 2
        }
        let spec = self.spec
        try await server.makeApplication().test(.router) { client in
            for (endpoint, label, requestBody) in Self.cases {
                try await client.execute(uri: endpoint.path, method: endpoint.method, body: requestBody.map(body)) { response in
                    spec.check(response, endpoint, label)
                }
            }
            // A wrong method on every endpoint: 405, documented.
            for endpoint in APIEndpoint.allCases {
                let wrong: HTTPRequest.Method = endpoint.method == .get ? .post : .get
                try await client.execute(uri: endpoint.path, method: wrong) { response in
                    #expect(response.status == .methodNotAllowed)
                    spec.check(response, endpoint, "wrong method")
                }
            }
        }
        // 401 on every /v1 endpoint when a token is set.
        let guarded = try makeServer { $0.token = "t" }
        try await guarded.makeApplication().test(.router) { client in
            for endpoint in APIEndpoint.allCases where endpoint.requiresToken {
                try await client.execute(uri: endpoint.path, method: endpoint.method, body: body("{}")) { response in
                    #expect(response.status == .unauthorized)
                    spec.check(response, endpoint, "unauthorized")
                }
            }
        }
    }
}
