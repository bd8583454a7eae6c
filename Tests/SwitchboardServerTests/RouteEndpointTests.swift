import Foundation
import Hummingbird
import HummingbirdTesting
import Switchboard
import Synchronization
import Testing
@testable import SwitchboardServer

@Suite struct RouteEndpointTests {
    @Test func routesOneMessageWithTheFieldsOfRouteJSON() async throws {
        let server = try makeServer()
        let message = Message(text: "URGENT incendie dans la cuisine, les pompiers sont là", id: "msg-1")
        let expected = server.engine.route(message, explain: true).json()
        try await server.makeApplication().test(.router) { client in
            try await client.execute(uri: "/v1/route", method: .post,
                                     body: body(#"{"text": "URGENT incendie dans la cuisine, les pompiers sont là", "id": "msg-1"}"#)) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
                #expect(response.headers[.requestID]?.isEmpty == false)
                #expect(response.text == expected)
                let object = response.object
                #expect(object["id"] as? String == "msg-1")
                #expect(object["queue"] as? String == "claims")
                #expect((object["explanation"] as? [Any])?.isEmpty == false)
                #expect(object["model"] as? String == server.engine.model.id)
            }
        }
    }

    /// A message over the inline limit is routed off the event loop, to the same decision; so is a batch of
    /// a few long messages.
    @Test func longMessagesAreRoutedOffTheEventLoopToTheSameDecision() async throws {
        let server = try makeServer()
        let text = String(repeating: "Bonjour, dégât des eaux dans la cuisine, je voudrais déclarer un sinistre. ", count: 400)
        #expect(text.utf8.count > ServerAPI.inlineTextBytes)
        let expected = server.engine.route(Message(text: text, id: "long"), explain: true).json()
        try await server.makeApplication().test(.router) { client in
            try await client.execute(uri: "/v1/route", method: .post, body: body(json: ["text": text, "id": "long"])) { response in
                #expect(response.status == .ok)
                #expect(response.text == expected)
            }
            try await client.execute(uri: "/v1/route/batch", method: .post,
                                     body: body(json: ["messages": [["text": text, "id": "long"], ["text": "merci", "id": "short"]]])) { response in
                #expect(response.status == .ok)
                let decisions = response.object["decisions"] as? [[String: Any]]
                #expect(decisions?.map { $0["id"] as? String } == ["long", "short"])
                #expect(decisions?.first?["label"] as? String == server.engine.route(Message(text: text)).label)
            }
        }
    }

    @Test func echoesChannelAndMetadataAndCanSkipTheExplanation() async throws {
        let server = try makeServer()
        try await server.makeApplication().test(.router) { client in
            let request = #"{"text": "je voudrais un devis pour assurer ma voiture", "channel": "email", "metadata": {"ticket": 42, "tags": ["a", "b"], "vip": true, "note": null}, "explain": false}"#
            try await client.execute(uri: "/v1/route", method: .post, body: body(request)) { response in
                #expect(response.status == .ok)
                let object = response.object
                #expect(object["channel"] as? String == "email")
                let metadata = object["metadata"] as? [String: Any]
                #expect(metadata?["ticket"] as? Double == 42)
                #expect(metadata?["tags"] as? [String] == ["a", "b"])
                #expect(metadata?["vip"] as? Bool == true)
                #expect(metadata?.keys.contains("note") == true)
                #expect(object["explanation"] == nil)
                #expect(object["id"] == nil)
            }
        }
    }

    /// Read as Doubles, integers past 2^53 came back changed (an order number 9007199254740993 as ...992).
    @Test func echoesLargeIntegersInMetadataExactly() async throws {
        let server = try makeServer()
        try await server.makeApplication().test(.router) { client in
            let request = #"{"text": "je voudrais un devis", "metadata": {"order": 9007199254740993, "big": 18446744073709551615, "neg": -9223372036854775808, "ratio": 0.25}}"#
            try await client.execute(uri: "/v1/route", method: .post, body: body(request)) { response in
                #expect(response.status == .ok)
                let text = String(buffer: response.body)
                #expect(text.contains("9007199254740993"), "\(text)")
                #expect(text.contains("18446744073709551615"), "\(text)")
                #expect(text.contains("-9223372036854775808"), "\(text)")
                #expect(text.contains("0.25"), "\(text)")
            }
        }
    }

    @Test func abstainsOnAnEmptyMessage() async throws {
        let server = try makeServer()
        try await server.makeApplication().test(.router) { client in
            try await client.execute(uri: "/v1/route", method: .post, body: body(#"{"text": ""}"#)) { response in
                #expect(response.status == .ok)
                #expect(response.object["abstained"] as? Bool == true)
                #expect(response.object["queue"] as? String == "human_triage")
            }
        }
    }

    @Test(arguments: [
        ("{\"text\": ", "malformed_json"),
        ("not json at all", "malformed_json"),
        ("", "malformed_json"),
        ("[1, 2]", "malformed_json"),
        ("{}", "missing_field"),
        ("{\"id\": \"x\"}", "missing_field"),
        ("{\"text\": null}", "missing_field"),
        ("{\"text\": 12}", "invalid_field"),
        ("{\"text\": \"a\", \"metadata\": [1]}", "invalid_field"),
        ("{\"text\": \"a\", \"explain\": \"yes\"}", "invalid_field"),
    ])
    func badBodiesGet400WithAJSONError(requestBody: String, code: String) async throws {
        let server = try makeServer()
        try await server.makeApplication().test(.router) { client in
            try await client.execute(uri: "/v1/route", method: .post, body: body(requestBody)) { response in
                #expect(response.status == .badRequest)
                #expect(response.object["code"] as? String == code)
                #expect((response.object["error"] as? String)?.isEmpty == false)
            }
        }
    }

    /// Metadata is decoded once per node and nested at most 64 deep: nesting 500 deep in a 1 KB body took
    /// 1.7 s of an event loop; an error inside is named as such, not "must be an object".
    @Test func deeplyNestedOrUnrepresentableMetadataIsRefusedByName() async throws {
        let server = try makeServer()
        let deep = "{\"text\": \"a\", \"metadata\": {\"a\": " + String(repeating: "[", count: 500) + String(repeating: "]", count: 500) + "}}"
        let fine = "{\"text\": \"a\", \"metadata\": {\"a\": " + String(repeating: "[", count: 50) + "1" + String(repeating: "]", count: 50) + "}}"
        try await server.makeApplication().test(.router) { client in
            try await client.execute(uri: "/v1/route", method: .post, body: body(deep)) { response in
                #expect(response.status == .badRequest)
                #expect(response.object["code"] as? String == "invalid_field")
                #expect(response.text.contains("metadata.a"))
            }
            // The same limit in a batch, where the metadata sits two levels lower in the body: 64 arrays inside the
            // metadata's field are accepted, 65 are not.
            let nested = String(repeating: "[", count: 63) + String(repeating: "]", count: 63)
            try await client.execute(uri: "/v1/route/batch", method: .post,
                                     body: body("{\"messages\": [{\"text\": \"a\", \"metadata\": {\"a\": [\(nested)]}}]}")) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/v1/route/batch", method: .post,
                                     body: body("{\"messages\": [{\"text\": \"a\", \"metadata\": {\"a\": [[\(nested)]]}}]}")) { response in
                #expect(response.status == .badRequest)
                #expect(response.text.contains("nested more than 64 deep"))
            }
            // A key named "metadata" inside the metadata does not restart the count.
            let keys = "{\"text\": \"a\", \"metadata\": " + String(repeating: "{\"metadata\": ", count: 100) + "1" + String(repeating: "}", count: 101)
            try await client.execute(uri: "/v1/route", method: .post, body: body(keys)) { response in
                #expect(response.status == .badRequest)
            }
            try await client.execute(uri: "/v1/route", method: .post, body: body(fine)) { response in
                #expect(response.status == .ok)
                var value: Any? = (response.object["metadata"] as? [String: Any])?["a"]
                var depth = 0
                while let array = value as? [Any] { depth += 1; value = array.first }
                #expect(depth == 50 && value as? Int == 1)
            }
            try await client.execute(uri: "/v1/route", method: .post, body: body(#"{"text": "a", "metadata": {"a": 1e400}}"#)) { response in
                #expect(response.status == .badRequest)
                #expect(response.text.contains("metadata.a"))
                #expect(!response.text.contains("must be an object"))
            }
        }
    }

    /// A body that does not parse says where: invalid UTF-8 by byte, otherwise the character.
    @Test func unparsableBodiesSayWhere() async throws {
        let server = try makeServer()
        var bytes = ByteBuffer(string: #"{"text": "r"#)
        bytes.writeBytes([0xE9])
        bytes.writeString(#"silier"}"#)
        let invalid = bytes
        try await server.makeApplication().test(.router) { client in
            try await client.execute(uri: "/v1/route", method: .post, body: invalid) { response in
                #expect(response.status == .badRequest)
                #expect(response.text.contains("UTF-8") && response.text.contains("byte 11"))
            }
            try await client.execute(uri: "/v1/route", method: .post, body: body("{\"text\": \"a\",\n \"id\": x}")) { response in
                #expect(response.status == .badRequest)
                #expect(response.text.contains("character 21"))
            }
        }
    }

    @Test func errorsNameTheFieldButNeverQuoteTheText() async throws {
        let server = try makeServer()
        try await server.makeApplication().test(.router) { client in
            try await client.execute(uri: "/v1/route", method: .post, body: body(#"{"text": 12, "id": "secret-iban FR7630001007941234567890185"}"#)) { response in
                #expect(response.status == .badRequest)
                #expect(response.text.contains("'text'"))
                #expect(!response.text.contains("FR76"))
            }
        }
    }

    @Test func bodiesOverTheLimitGet413() async throws {
        let server = try makeServer { $0.maxBodyBytes = 1024 }
        try await server.makeApplication().test(.router) { client in
            let big = #"{"text": ""# + String(repeating: "sinistre ", count: 200) + #""}"#
            try await client.execute(uri: "/v1/route", method: .post, body: body(big)) { response in
                #expect(response.status == .contentTooLarge)
                #expect(response.object["code"] as? String == "body_too_large")
            }
            // Just under the limit is fine.
            let small = #"{"text": ""# + String(repeating: "sinistre ", count: 100) + #""}"#
            try await client.execute(uri: "/v1/route", method: .post, body: body(small)) { response in
                #expect(response.status == .ok)
            }
        }
    }

    @Test func unknownPathsGet404AndWrongMethods405() async throws {
        let server = try makeServer()
        try await server.makeApplication().test(.router) { client in
            try await client.execute(uri: "/v1/nowhere", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.object["code"] as? String == "not_found")
            }
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .notFound)
            }
            try await client.execute(uri: "/v1/route", method: .get) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.object["code"] as? String == "method_not_allowed")
                #expect(response.headers[.allow] == "POST")
            }
            try await client.execute(uri: "/healthz", method: .delete) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "GET, HEAD")
            }
            // HEAD works wherever GET does: the same status and headers, no body.
            for path in ["/healthz", "/readyz", "/v1/model", "/metrics"] {
                try await client.execute(uri: path, method: .head) { response in
                    #expect(response.status == .ok, "\(path)")
                    #expect(response.body.readableBytes == 0)
                }
            }
            try await client.execute(uri: "/v1/model", method: .post, body: body("{}")) { response in
                #expect(response.status == .methodNotAllowed)
            }
        }
    }
}

/// Events in the order they happened, from any task.
final class EventLog: Sendable {
    private let storage = Mutex<[String]>([])
    func append(_ event: String) { storage.withLock { $0.append(event) } }
    var events: [String] { storage.withLock { $0 } }
}

@Suite struct BatchEndpointTests {
    @Test func routesABatchInOrderLikeTheEngine() async throws {
        let server = try makeServer { $0.inlineBatchLimit = 4 }
        let texts = [
            "URGENT incendie dans la cuisine", "je voudrais résilier mon contrat", "pourquoi ma cotisation a augmenté",
            "my car was stolen last night", "bonjour", "", "candidature spontanée pour un poste de gestionnaire",
            "can I get a quote for home insurance", "demande d'attestation d'assurance", "water leak in the bathroom",
        ]
        for size in [1, 4, 10] {  // inline, inline at the limit, on the batch queue
            let messages = texts.prefix(size).enumerated().map { Message(text: $0.element, id: "m\($0.offset)") }
            let expected = server.engine.routeBatch(messages, explain: true).map { $0.json() }
            let request = try body(json: ["messages": messages.map { ["text": $0.text, "id": $0.id ?? ""] }])
            try await server.makeApplication().test(.router) { client in
                try await client.execute(uri: "/v1/route/batch", method: .post, body: request) { response in
                    #expect(response.status == .ok)
                    #expect(response.text == "{\"count\":\(size),\"decisions\":[" + expected.joined(separator: ",") + "]}")
                }
            }
        }
    }

    /// A timing test: meaningful only when nothing else loads the cores, so it runs on its own
    /// (`.ci/run` runs it after the suite with SWITCHBOARD_ISOLATED_TIMING_TESTS=1).
    @Test(.enabled(if: ProcessInfo.processInfo.environment["SWITCHBOARD_ISOLATED_TIMING_TESTS"] == "1"))
    func aLargeBatchDoesNotHoldUpOtherRequests() async throws {
        let server = try makeServer { $0.maxBatch = 5000; $0.maxBodyBytes = 4 << 20 }
        let texts = ["URGENT incendie dans la cuisine", "je voudrais résilier mon contrat", "my car was stolen last night"]
        // Long enough that a batch takes hundreds of milliseconds even on a fast machine.
        let request = try body(json: ["messages": (0..<5000).map { ["text": String(repeating: texts[$0 % texts.count] + " ", count: 4) + "\($0)"] }])
        // As many batches at once as Swift has cooperative threads: routed inline, they would hold every
        // one of them and the single routes would wait.
        let batches = ProcessInfo.processInfo.activeProcessorCount
        try await server.makeApplication().test(.router) { client in
            let order = EventLog()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<batches {
                    group.addTask {
                        try await client.execute(uri: "/v1/route/batch", method: .post, body: request) { response in
                            #expect(response.status == .ok)
                            order.append("batch")
                        }
                    }
                }
                group.addTask {
                    try await Task.sleep(for: .milliseconds(20))
                    for _ in 0..<5 {
                        try await client.execute(uri: "/v1/route", method: .post, body: body(#"{"text": "bonjour"}"#)) { response in
                            #expect(response.status == .ok)
                        }
                    }
                    order.append("single routes")
                }
                try await group.waitForAll()
            }
            // 5,000 messages with explanations take far longer than five single routes.
            #expect(order.events.first == "single routes")
            #expect(order.events.count == batches + 1)
        }
    }

    @Test func anEmptyBatchIsFine() async throws {
        let server = try makeServer()
        try await server.makeApplication().test(.router) { client in
            try await client.execute(uri: "/v1/route/batch", method: .post, body: body(#"{"messages": []}"#)) { response in
                #expect(response.status == .ok)
                #expect(response.text == #"{"count":0,"decisions":[]}"#)
            }
        }
    }

    @Test func batchesOverTheLimitGet413() async throws {
        let server = try makeServer { $0.maxBatch = 3 }
        try await server.makeApplication().test(.router) { client in
            let request = try body(json: ["messages": (0..<4).map { ["text": "message \($0)"] }])
            try await client.execute(uri: "/v1/route/batch", method: .post, body: request) { response in
                #expect(response.status == .contentTooLarge)
                #expect(response.object["code"] as? String == "batch_too_large")
            }
        }
    }

    @Test func aMessageWithoutTextNamesItsIndex() async throws {
        let server = try makeServer()
        try await server.makeApplication().test(.router) { client in
            try await client.execute(uri: "/v1/route/batch", method: .post,
                                     body: body(#"{"messages": [{"text": "a"}, {"id": "2"}]}"#)) { response in
                #expect(response.status == .badRequest)
                #expect(response.object["code"] as? String == "missing_field")
                #expect((response.object["error"] as? String)?.contains("messages[1].text") == true)
            }
            try await client.execute(uri: "/v1/route/batch", method: .post, body: body(#"{"items": []}"#)) { response in
                #expect(response.status == .badRequest)
                #expect(response.object["code"] as? String == "missing_field")
            }
        }
    }
}
