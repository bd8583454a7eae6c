import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Synchronization
import Testing

/// `switchboard serve` as a process: the executor choice is process-wide, so it is tested in its own process.
@Suite struct ServeProcessTests {
    /// The repository root (three directories above this file).
    static let root: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }()

    /// The `switchboard` executable that `swift test` built next to the test bundle.
    static func executable() throws -> URL {
        let candidates = [Bundle.main.executableURL?.deletingLastPathComponent(), Bundle.main.bundleURL.deletingLastPathComponent(),
                          Bundle.main.bundleURL].compactMap { $0 }.map { $0.appendingPathComponent("switchboard") }
        return try #require(candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) },
                            "no switchboard executable next to the tests (looked in \(candidates.map(\.path)))")
    }

    @Test(arguments: [true, false])
    func servesRoutesAndStopsOnSIGTERM(eventLoopExecutor: Bool) async throws {
        let directory = NSTemporaryDirectory() + "serve-process-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }

        let process = Process()
        process.executableURL = try Self.executable()
        process.arguments = ["serve", "--model", Self.root.appendingPathComponent("models/default.sbm").path,
                             "--policy", Self.root.appendingPathComponent("models/policy.yaml").path,
                             "--port", "0", "--feedback-db", directory + "/feedback.sqlite", "--reload-interval", "0",
                             "--max-batch", "20000", "--max-body", "67108864"]
            + (eventLoopExecutor ? [] : ["--no-event-loop-executor"])
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        let log = Mutex(Data())
        errors.fileHandleForReading.readabilityHandler = { handle in
            let chunk = handle.availableData
            log.withLock { $0.append(chunk) }
        }
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        func logText() -> String { log.withLock { String(decoding: $0, as: UTF8.self) } }

        // The port it was given, from its "serving" log line.
        var port: Int?
        for _ in 0..<600 where port == nil {
            if let line = logText().split(separator: "\n").first(where: { $0.contains("switchboard serving") }),
               let address = line.split(separator: " ").first(where: { $0.hasPrefix("address=") }),
               let number = address.split(separator: ":").last.flatMap({ Int($0) }) {
                port = number
            } else {
                #expect(process.isRunning, "the server exited early: \(logText())")
                if !process.isRunning { return }
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        let base = try #require(port.map { "http://127.0.0.1:\($0)" }, "the server did not say where it listens: \(logText())")

        // Requests at once, each answered with its own decision.
        let texts = ["URGENT incendie dans la cuisine cette nuit", "je voudrais résilier mon contrat auto",
                     "can I get a quote for home insurance", "candidature spontanée, mon CV en pièce jointe"]
        struct Answer: Sendable { var index: Int, status: Int, id: String?, queue: String?, label: String? }
        let answers = try await withThrowingTaskGroup(of: Answer.self) { group in
            for i in 0..<32 {
                group.addTask {
                    var request = URLRequest(url: try #require(URL(string: base + "/v1/route")))
                    request.httpMethod = "POST"
                    request.setValue("application/json", forHTTPHeaderField: "Content-Type")
                    request.httpBody = try JSONSerialization.data(withJSONObject: ["text": texts[i % texts.count], "id": "p\(i)"])
                    let (data, response) = try await URLSession.shared.data(for: request)
                    let status = (response as? HTTPURLResponse)?.statusCode ?? 0
                    let object = (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
                    return Answer(index: i, status: status, id: object["id"] as? String, queue: object["queue"] as? String,
                                  label: object["label"] as? String)
                }
            }
            var all: [Answer] = []
            for try await answer in group { all.append(answer) }
            return all
        }
        #expect(answers.count == 32)
        for answer in answers {
            #expect(answer.status == 200)
            #expect(answer.id == "p\(answer.index)")
            #expect(answer.queue?.isEmpty == false)
        }
        #expect(answers.first { $0.index == 0 }?.label == "claim")

        // SIGHUP: the model and policy are loaded again and swapped in; routing goes on.
        kill(process.processIdentifier, SIGHUP)
        var reloaded = false
        for _ in 0..<400 where !reloaded {
            reloaded = logText().split(separator: "\n").contains { $0.contains("trigger=SIGHUP") && $0.contains("model reloaded") }
            if !reloaded { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(reloaded, "no reload after SIGHUP: \(logText())")
        var request = URLRequest(url: try #require(URL(string: base + "/v1/route")))
        request.httpMethod = "POST"
        request.httpBody = Data(#"{"text": "je voudrais résilier mon contrat auto"}"#.utf8)
        let (_, response) = try await URLSession.shared.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)

        // SIGTERM while a long batch is in flight: the batch is answered in full, then the process exits.
        var batch = URLRequest(url: try #require(URL(string: base + "/v1/route/batch")))
        batch.httpMethod = "POST"
        batch.timeoutInterval = 120
        // Enough work (about 19 MB of text, over a second of routing on two cores) to be still in flight
        // 150 ms after it is sent, however fast the machine.
        batch.httpBody = try JSONSerialization.data(withJSONObject: ["messages": (0..<8000).map {
            ["text": String(repeating: texts[$0 % texts.count] + " ", count: 60) + "\($0)"]
        }])
        // The request and the signal are timed off the cooperative pool: when other suites keep its threads
        // busy, a `Task.sleep` can wake seconds late, after the batch was answered, and the check would
        // prove nothing. A thread's sleep is scheduled by the kernel, whatever the pool is doing.
        let answered = Mutex(false)
        let (batchStatus, batchCount, answeredBeforeSIGTERM) = await withCheckedContinuation {
            (done: CheckedContinuation<(Int, Int?, Bool), Never>) in
            // The answer and the signal, in whichever order they come; the continuation is resumed once, by
            // whichever of the two comes second.
            struct Progress { var answeredBeforeSignal: Bool?; var reply: (status: Int, count: Int?)?; var resumed = false }
            let progress = Mutex(Progress())
            let finish: @Sendable (@Sendable (inout Progress) -> Void) -> Void = { update in
                let outcome: (Int, Int?, Bool)? = progress.withLock { state in
                    update(&state)
                    guard !state.resumed, let before = state.answeredBeforeSignal, let reply = state.reply else { return nil }
                    state.resumed = true
                    return (reply.status, reply.count, before)
                }
                if let outcome { done.resume(returning: outcome) }
            }
            let task = URLSession.shared.dataTask(with: batch) { data, response, _ in
                answered.withLock { $0 = true }
                let object = (data.flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }) ?? [:]
                let status = (response as? HTTPURLResponse)?.statusCode ?? 0, count = object["count"] as? Int
                finish { $0.reply = (status, count) }
            }
            task.resume()
            Thread.detachNewThread {
                Thread.sleep(forTimeInterval: 0.15)
                let before = answered.withLock { $0 }
                process.terminate()
                finish { $0.answeredBeforeSignal = before }
            }
        }
        #expect(answeredBeforeSIGTERM == false, "the batch was answered before SIGTERM: the check below proves nothing")
        #expect(batchStatus == 200)
        #expect(batchCount == 8000)
        process.waitUntilExit()
        errors.fileHandleForReading.readabilityHandler = nil
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
        #expect(logText().contains("switchboard stopped"))
        // The message texts stay out of the log (no --log-text).
        #expect(!logText().contains("incendie"))
    }
}
