import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import Switchboard
import Testing
@testable import SwitchboardServer

@Suite struct FeedbackEndpointTests {
    @Test func storesOnceAndSaysWhenItIsADuplicate() async throws {
        let server = try makeServer()
        try await server.makeApplication().test(.router) { client in
            let request = #"{"id": "msg-7", "text": "ma voiture a été rayée sur le parking", "label": "claim"}"#
            try await client.execute(uri: "/v1/feedback", method: .post, body: body(request)) { response in
                #expect(response.status == .created)
                let object = response.object
                #expect(object["id"] as? String == "msg-7")
                #expect(object["label"] as? String == "claim")
                #expect(object["stored"] as? Bool == true)
                #expect(object["duplicate"] as? Bool == false)
                #expect(object["model"] as? String == server.engine.model.id)
                #expect((object["created_at"] as? String)?.hasSuffix("Z") == true)
            }
            try await client.execute(uri: "/v1/feedback", method: .post, body: body(request)) { response in
                #expect(response.status == .ok)
                #expect(response.object["duplicate"] as? Bool == true)
                #expect(response.object["stored"] as? Bool == true)
            }
            let changed = #"{"id": "msg-7", "text": "ma voiture a été rayée sur le parking", "label": "complaint"}"#
            try await client.execute(uri: "/v1/feedback", method: .post, body: body(changed)) { response in
                #expect(response.status == .conflict)
                #expect(response.object["code"] as? String == "feedback_conflict")
            }
        }
        #expect(try await server.feedback?.count() == 1)
        let stored = try await server.feedback?.record(id: "msg-7")
        #expect(stored?.label == "claim")
        #expect(stored?.modelID == server.engine.model.id)
    }

    @Test func theStoreIsOnDiskWithTheDocumentedSchema() async throws {
        let server = try makeServer()
        try await server.makeApplication().test(.router) { client in
            for i in 0..<3 {
                let request = "{\"id\": \"f\(i)\", \"text\": \"texte \(i)\", \"label\": \"billing\"}"
                try await client.execute(uri: "/v1/feedback", method: .post, body: body(request)) { response in
                    #expect(response.status == .created)
                }
            }
        }
        // A second connection, as the reader of a later issue would open it.
        let reopened = try FeedbackStore(path: try #require(server.configuration.feedbackDatabasePath))
        #expect(try await reopened.count() == 3)
        #expect(try await reopened.record(id: "f2")?.text == "texte 2")
        let sqlite = Process()
        sqlite.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        guard FileManager.default.isExecutableFile(atPath: sqlite.executableURL?.path ?? "") else { return }
        let pipe = Pipe()
        sqlite.arguments = [try #require(server.configuration.feedbackDatabasePath), "PRAGMA table_info(feedback);"]
        sqlite.standardOutput = pipe
        try sqlite.run()
        sqlite.waitUntilExit()
        let schema = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let columns = schema.split(separator: "\n").map { $0.split(separator: "|", omittingEmptySubsequences: false) }
        #expect(columns.map { String($0[1]) } == ["id", "text", "label", "created_at", "model_id"])
        #expect(columns.map { String($0[2]) } == ["TEXT", "TEXT", "TEXT", "TEXT", "TEXT"])
        #expect(columns[0][5] == "1")  // primary key
    }

    @Test func timestampsRoundTripToTheMillisecond() {
        for seconds in [0.0, 1_796_083_200.089, 1_796_083_200.0005, 1_796_083_200.9996, -1.25] {
            let text = FeedbackStore.timestamp(Date(timeIntervalSince1970: seconds))
            #expect(FeedbackStore.timestamp(FeedbackStore.date(text)) == text, "\(seconds)")
        }
        #expect(FeedbackStore.timestamp(Date(timeIntervalSince1970: 1_796_083_200.089)) == "2026-12-01T00:00:00.089Z")
        #expect(FeedbackStore.timestamp(Date(timeIntervalSince1970: 1_796_083_200.9996)) == "2026-12-01T00:00:01.000Z")
    }

    @Test func theDuplicateAnswerRepeatsTheFirstTimestamp() async throws {
        let server = try makeServer()
        try await server.makeApplication().test(.router) { client in
            let request = #"{"id": "ts", "text": "t", "label": "claim"}"#
            let first = try await client.execute(uri: "/v1/feedback", method: .post, body: body(request)) { $0.object["created_at"] as? String }
            let second = try await client.execute(uri: "/v1/feedback", method: .post, body: body(request)) { $0.object["created_at"] as? String }
            #expect(first != nil)
            #expect(first == second)
        }
    }

    /// A server started without a feedback database (a read-only or stateless deployment) routes, and answers
    /// feedback with a 503 that says why.
    @Test func aServerWithoutFeedbackDatabaseAnswers503() async throws {
        let server = try makeServer { $0.feedbackDatabasePath = nil }
        #expect(server.feedback == nil)
        try await server.makeApplication().test(.router) { client in
            try await client.execute(uri: "/v1/feedback", method: .post, body: body(#"{"id": "x", "text": "t", "label": "claim"}"#)) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.object["code"] as? String == "feedback_unavailable")
                #expect(response.text.contains("no feedback"))
            }
            try await client.execute(uri: "/v1/route", method: .post, body: body(#"{"text": "ma voiture a été volée"}"#)) { response in
                #expect(response.status == .ok)
            }
        }
    }

    @Test func unknownLabelsAndMissingFieldsGet400() async throws {
        let server = try makeServer()
        try await server.makeApplication().test(.router) { client in
            try await client.execute(uri: "/v1/feedback", method: .post,
                                     body: body(#"{"id": "x", "text": "t", "label": "astrology"}"#)) { response in
                #expect(response.status == .badRequest)
                #expect(response.object["code"] as? String == "unknown_label")
                #expect((response.object["error"] as? String)?.contains("claim") == true)
            }
            // The label is not quoted back: it can be a message's text sent in the wrong field.
            try await client.execute(uri: "/v1/feedback", method: .post,
                                     body: body(#"{"id": "x", "text": "t", "label": "jean.dupont@gmail.com FR7630001007941234567890185"}"#)) { response in
                #expect(response.object["code"] as? String == "unknown_label")
                #expect(!response.text.contains("dupont") && !response.text.contains("FR76"))
            }
            // An id with white space or a line separator could forge fields of the log line that names it.
            for id in ["x http.status=500", "x\u{2028}critical", "x\u{200B}y"] {
                try await client.execute(uri: "/v1/feedback", method: .post, body: try body(json: ["id": id, "text": "t", "label": "claim"])) { response in
                    #expect(response.status == .badRequest)
                    #expect(response.object["code"] as? String == "invalid_field")
                }
            }
            try await client.execute(uri: "/v1/feedback", method: .post, body: body(#"{"id": "x", "label": "claim"}"#)) { response in
                #expect(response.status == .badRequest)
                #expect(response.object["code"] as? String == "missing_field")
            }
            try await client.execute(uri: "/v1/feedback", method: .post, body: body(#"{"id": "", "text": "t", "label": "claim"}"#)) { response in
                #expect(response.status == .badRequest)
                #expect(response.object["code"] as? String == "invalid_field")
            }
            try await client.execute(uri: "/v1/feedback", method: .post, body: body("{")) { response in
                #expect(response.status == .badRequest)
                #expect(response.object["code"] as? String == "malformed_json")
            }
        }
        #expect(try await server.feedback?.count() == 0)
    }

    /// A NUL cut what SQLite stored short (id "a\u0000b" stored as "a", then "a\u0000c" was a conflict with it);
    /// a line break in the id went raw into the log line; a blank text was stored for `learn` to train on.
    @Test func idsAndTextsThatWouldBeStoredOrLoggedWrongGet400() async throws {
        let server = try makeServer()
        let longID = String(repeating: "x", count: ServerAPI.maximumFeedbackIDBytes + 1)
        let refused = [
            #"{"id": "a\u0000b", "text": "t", "label": "claim"}"#,
            #"{"id": "x\n2026-11-30T14:21:00+0000 critical switchboard: FORGED", "text": "t", "label": "claim"}"#,
            "{\"id\": \"\(longID)\", \"text\": \"t\", \"label\": \"claim\"}",
            #"{"id": "y", "text": "ma voiture\u0000 secret", "label": "claim"}"#,
            #"{"id": "z", "text": "  ", "label": "claim"}"#,
        ]
        try await server.makeApplication().test(.router) { client in
            for request in refused {
                try await client.execute(uri: "/v1/feedback", method: .post, body: body(request)) { response in
                    #expect(response.status == .badRequest, "\(request.prefix(60))")
                    #expect(response.object["code"] as? String == "invalid_field")
                }
            }
            // Line breaks and tabs in the text are fine; so is an id of exactly the limit.
            let fine = "{\"id\": \"\(String(longID.dropLast()))\", \"text\": \"ligne 1\\nligne 2\\tfin\", \"label\": \"claim\"}"
            try await client.execute(uri: "/v1/feedback", method: .post, body: body(fine)) { response in
                #expect(response.status == .created)
            }
        }
        #expect(try await server.feedback?.count() == 1)
        #expect(try await server.feedback?.record(id: String(longID.dropLast()))?.text == "ligne 1\nligne 2\tfin")
    }

    @Test func concurrentDuplicatesAreStoredOnce() async throws {
        let server = try makeServer()
        try await server.makeApplication().test(.router) { client in
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        try await client.execute(uri: "/v1/feedback", method: .post,
                                                 body: body(#"{"id": "same", "text": "t", "label": "claim"}"#)) { $0.status }
                    }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .created }.count == 1)
            #expect(statuses.filter { $0 == .ok }.count == 7)
        }
        #expect(try await server.feedback?.count() == 1)
    }
}

/// A database edited by hand or by another tool can hold values that are not text: reading them used to trap
/// inside GRDB, and the trap's message printed the row, the customer's text included.
@Suite struct FeedbackRowDecodingTests {
    @Test func rowsThatAreNotCorrectionsAreReportedOneByOneWithoutTheirValues() async throws {
        let path = NSTemporaryDirectory() + "feedback-rows-\(UUID().uuidString).sqlite"
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let store = try FeedbackStore(path: path)
        _ = try await store.record(FeedbackRecord(id: "good", text: "ma voiture est rayée", label: "claim", createdAt: Date(timeIntervalSince1970: 1), modelID: "m"))
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(sql: "INSERT INTO feedback (id, text, label, created_at, model_id) VALUES ('blob', x'ff00fe41', 'billing', '2026-11-30T15:00:00.000Z', 'm')")
            // The id column has text affinity: SQLite stores this 42 as '42', which reads as an id.
            try db.execute(sql: "INSERT INTO feedback (id, text, label, created_at, model_id) VALUES (42, 'my SECRET text', 'claim', '2026-11-30T15:00:01.000Z', 'm')")
            try db.execute(sql: "INSERT INTO feedback (id, text, label, created_at, model_id) VALUES ('binary-label', 'my SECRET text', x'41', '2026-11-30T15:00:02.000Z', 'm')")
        }
        let rows = try FeedbackStore.readRows(path: path)
        #expect(rows.count == 4)
        let records = rows.compactMap { try? $0.get() }
        #expect(records.map(\.id) == ["good", "42"])
        let errors = rows.compactMap { row -> SwitchboardError? in if case .failure(let error) = row { return error } else { return nil } }
        #expect(errors.map(\.location?.index) == [1, 3])
        #expect(errors.map(\.message) == ["not a correction: its text is binary data, not text", "not a correction: its label is binary data, not text"])
        #expect(errors.allSatisfy { !$0.description.contains("SECRET") })
        #expect(throws: SwitchboardError.self) { _ = try FeedbackStore.readAll(path: path) }
    }
}
