import Foundation
import Hummingbird
import HummingbirdTesting
import Switchboard
import Testing
@testable import SwitchboardServer

@Suite struct OperationsEndpointTests {
    @Test func modelDescribesTheModelAndThePolicy() async throws {
        let server = try makeServer()
        try await server.makeApplication().test(.router) { client in
            try await client.execute(uri: "/v1/model", method: .get) { response in
                #expect(response.status == .ok)
                let object = response.object
                #expect(object["id"] as? String == shippedModel.id)
                #expect(object["labels"] as? [String] == shippedModel.labels)
                let training = object["training"] as? [String: Any]
                #expect(training?["documents"] as? Int == shippedModel.metadata.training.documents)
                let policy = object["policy"] as? [String: Any]
                #expect(policy?["fallback_queue"] as? String == "human_triage")
                // JSON numbers are decimal text: Foundation's parser may land one unit in the last place away.
                let threshold = policy?["threshold"] as? Double
                #expect(threshold.map { abs($0 - server.engine.threshold) <= 1e-12 } == true, "\(String(describing: threshold)) against \(server.engine.threshold)")
                // The shipped model has the word-likelihood check, not the older known-share one.
                #expect(policy?["minimum_known_share"] as? Double == nil && server.engine.minimumKnownShare == nil)
                let likelihood = policy?["minimum_word_likelihood"] as? Double
                #expect(likelihood != nil && abs((likelihood ?? 0) - (server.engine.minimumWordLikelihood ?? 1)) <= 1e-12)
                let queues = policy?["queues"] as? [[String: Any]] ?? []
                let claims = queues.first { $0["name"] as? String == "claims" }
                #expect(claims?["labels"] as? [String] == ["claim"])
                #expect(claims?["answer_within"] as? String == "4h")
                #expect((policy?["rules"] as? [String])?.isEmpty == false)
                #expect((object["calibration"] as? [String: Any])?["abstention_threshold"] is Double)
                #expect((object["reloads"] as? [String: Any])?["failed"] as? Int == 0)
            }
        }
    }

    @Test func healthReadinessAndMetrics() async throws {
        let server = try makeServer()
        try await server.makeApplication().test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.object["status"] as? String == "ok")
            }
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.object["model"] as? String == shippedModel.id)
            }
            try await client.execute(uri: "/v1/route", method: .post, body: body(#"{"text": "URGENT incendie dans la cuisine"}"#)) { _ in }
            try await client.execute(uri: "/v1/route", method: .post, body: body(#"{"text": ""}"#)) { _ in }
            try await client.execute(uri: "/v1/route", method: .post, body: body("{")) { _ in }
            try await client.execute(uri: "/nowhere", method: .get) { _ in }
            try await client.execute(uri: "/v1/route/", method: .get) { response in #expect(response.status == .methodNotAllowed) }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
                let text = response.text
                #expect(text.contains(#"switchboard_http_requests_total{method="POST",path="/v1/route",status="200"} 2"#))
                #expect(text.contains(#"switchboard_http_requests_total{method="POST",path="/v1/route",status="400"} 1"#))
                #expect(text.contains(#"switchboard_http_requests_total{method="GET",path="unmatched",status="404"} 1"#))
                // A known path asked with a method it does not take is counted under its path.
                #expect(text.contains(#"switchboard_http_requests_total{method="GET",path="/v1/route",status="405"} 1"#))
                #expect(text.contains(#"switchboard_http_request_duration_seconds_bucket{method="POST",path="/v1/route",le="0.0001"}"#))
                #expect(text.contains(#"switchboard_decisions_total{queue="claims"} 1"#))
                #expect(text.contains(#"switchboard_decisions_total{queue="human_triage"} 1"#))
                #expect(text.contains("switchboard_abstentions_total 1"))
                #expect(text.contains(#"switchboard_http_errors_total{code="malformed_json"} 1"#))
                #expect(text.contains(#"switchboard_model_reloads_total{result="failure"} 0"#))
            }
        }
    }
}

@Suite struct AuthenticationTests {
    @Test func v1NeedsTheBearerTokenAndProbesDoNot() async throws {
        let server = try makeServer { $0.token = "s3cret-token" }
        try await server.makeApplication().test(.router) { client in
            let message = body(#"{"text": "bonjour"}"#)
            try await client.execute(uri: "/v1/route", method: .post, body: message) { response in
                #expect(response.status == .unauthorized)
                #expect(response.object["code"] as? String == "unauthorized")
                #expect(response.headers[.wwwAuthenticate] == "Bearer")
            }
            for header in ["Bearer wrong", "Bearer s3cret-toke", "Bearer s3cret-token2", "Basic s3cret-token", "s3cret-token", "Bearer"] {
                try await client.execute(uri: "/v1/route", method: .post, headers: [.authorization: header], body: message) { response in
                    #expect(response.status == .unauthorized, "\(header)")
                }
            }
            for header in ["Bearer s3cret-token", "bearer s3cret-token"] {
                try await client.execute(uri: "/v1/route", method: .post, headers: [.authorization: header], body: message) { response in
                    #expect(response.status == .ok)
                }
            }
            try await client.execute(uri: "/v1/model", method: .get) { response in
                #expect(response.status == .unauthorized)
            }
            // Unknown paths do not reveal whether they exist without the token.
            try await client.execute(uri: "/v1/secret", method: .get) { response in
                #expect(response.status == .unauthorized)
            }
            for path in ["/healthz", "/readyz", "/metrics"] {
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.status == .ok)
                }
            }
        }
    }

    @Test func tokenComparisonIsExact() {
        let token = Array("abcdef".utf8)
        #expect(BearerTokenMiddleware.constantTimeEquals(token, token))
        #expect(!BearerTokenMiddleware.constantTimeEquals(Array("abcdeg".utf8), token))
        #expect(!BearerTokenMiddleware.constantTimeEquals(Array("abcde".utf8), token))
        #expect(!BearerTokenMiddleware.constantTimeEquals(Array("abcdefg".utf8), token))
        #expect(!BearerTokenMiddleware.constantTimeEquals([], token))
    }

    @Test func tokenFilesAreTrimmedAndMustNotBeEmpty() throws {
        let directory = try temporaryDirectory()
        let good = directory + "/token"
        try Data("  abc123\n".utf8).write(to: URL(fileURLWithPath: good))
        #expect(try ServerConfiguration.readToken(from: good) == "abc123")
        let empty = directory + "/empty"
        try Data("\n".utf8).write(to: URL(fileURLWithPath: empty))
        #expect(throws: SwitchboardError.self) { try ServerConfiguration.readToken(from: empty) }
        #expect(throws: SwitchboardError.self) { try ServerConfiguration.readToken(from: directory + "/missing") }
    }
}

@Suite struct LogFormattingTests {
    @Test func durationsAreWrittenInMillisecondsWithThreeDecimals() {
        #expect(RequestObservationMiddleware.milliseconds(.microseconds(42)) == "0.042")
        #expect(RequestObservationMiddleware.milliseconds(.microseconds(1500)) == "1.500")
        #expect(RequestObservationMiddleware.milliseconds(.seconds(2) + .nanoseconds(7_900)) == "2000.007")
        #expect(RequestObservationMiddleware.milliseconds(.zero) == "0.000")
    }
}

@Suite struct RuleTimeoutTests {
    @Test("a pattern rule that runs out of time is named in the response and counted in the metrics")
    func ruleTimeoutIsReportedAndCounted() async throws {
        let policyPath = try temporaryDirectory() + "/policy.yaml"
        try """
        queues:
          claims:
            labels: [claim]
        rules:
          - name: backtracking
            when:
              pattern: '(a+)+$'
            then: {priority: 1}
        """.write(toFile: policyPath, atomically: true, encoding: .utf8)
        let server = try makeServer { $0.policyPath = policyPath }
        try await server.makeApplication().test(.router) { client in
            let text = "sinistre " + String(repeating: "a", count: 5_000) + "!"
            try await client.execute(uri: "/v1/route", method: .post, body: body(json: ["text": text])) { response in
                #expect(response.status == .ok)
                #expect(response.object["rules_timed_out"] as? [String] == ["backtracking"])
                #expect(response.object["rules"] as? [String] == [])
            }
            try await client.execute(uri: "/v1/route", method: .post, body: body(json: ["text": "sinistre aaa"])) { response in
                #expect(response.object["rules_timed_out"] == nil)
                #expect(response.object["rules"] as? [String] == ["backtracking"])
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.text.contains(#"switchboard_rule_timeouts_total{rule="backtracking"} 1"#))
            }
        }
    }
}
