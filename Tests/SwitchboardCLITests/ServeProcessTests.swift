import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Synchronization
@testable import SwitchboardCLI
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
        let server = try await ServerProcess.start(
            ["--policy", Self.root.appendingPathComponent("models/policy.yaml").path,
             "--max-batch", "20000", "--max-body", "67108864"] + (eventLoopExecutor ? [] : ["--no-event-loop-executor"]))
        let process = server.process
        func logText() -> String { server.logText() }
        let base = "http://127.0.0.1:\(server.port)"

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
        server.stopReadingLog()
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
        #expect(logText().contains("switchboard stopped"))
        // It stopped of itself, well within the shutdown limit: no warning that the limit was reached.
        #expect(!logText().contains("shutdown timeout reached"))
        // The message texts stay out of the log (no --log-text).
        #expect(!logText().contains("incendie"))
    }

    @Test func timeoutOptionsAreChecked() throws {
        let model = Self.root.appendingPathComponent("models/default.sbm").path
        for bad in [["--shutdown-timeout", "0"], ["--shutdown-timeout", "nan"], ["--idle-timeout", "-1"],
                    ["--idle-timeout", "inf"], ["--reload-interval", "1e300"]] {
            #expect(throws: (any Error).self, "\(bad)") { try ServeCommand.parse(["--model", model] + bad) }
        }
        _ = try ServeCommand.parse(["--model", model, "--idle-timeout", "0", "--shutdown-timeout", "0.5", "--reload-interval", "0"])
    }

    @Test func anIdleConnectionIsClosedAndServingGoesOn() async throws {
        let server = try await ServerProcess.start(["--idle-timeout", "0.5"])

        // A client that sends half a request, then nothing: the server closes it after the idle timeout.
        let upload = try StalledUpload(port: server.port)
        let start = ContinuousClock.now
        let closed = await onThread { upload.waitForClose(seconds: 20) }
        let waited = ContinuousClock.now - start
        #expect(closed, "the server kept a silent connection open for 20 s")
        #expect(waited >= .milliseconds(400) && waited < .seconds(10), "closed after \(waited), not after about 0.5 s")
        // The request is logged as a client's fault, not as a server error.
        for _ in 0..<100 where !server.logText().contains("incomplete_request") { try await Task.sleep(for: .milliseconds(50)) }
        #expect(server.logText().contains("error.code=incomplete_request"))
        #expect(server.logText().contains("http.status=400"))
        #expect(!server.logText().contains("request failed"))

        // The server goes on serving.
        let (_, response) = try await URLSession.shared.data(from: try #require(URL(string: "http://127.0.0.1:\(server.port)/healthz")))
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        server.process.terminate()
        await onThread { server.process.waitUntilExit() }
        #expect(server.process.terminationStatus == 0)
    }

    @Test func aStalledUploadDoesNotHoldUpShutdown() async throws {
        // No idle timeout: only the shutdown timeout can end the stalled request.
        let server = try await ServerProcess.start(["--idle-timeout", "0", "--shutdown-timeout", "1"])

        let upload = try StalledUpload(port: server.port)
        // Time for the request's head to be read, so that the request is in flight when the signal comes (a
        // connection with no request yet is closed at once, and the check on the time waited would fail):
        // a second is ample even when the other suites keep both cores busy.
        await onThread { Thread.sleep(forTimeInterval: 1) }
        let start = ContinuousClock.now
        server.process.terminate()
        let exited = await onThread { () -> Bool in
            for _ in 0..<200 where server.process.isRunning { Thread.sleep(forTimeInterval: 0.05) }
            return !server.process.isRunning
        }
        let waited = ContinuousClock.now - start
        #expect(exited, "the server was still running 10 s after SIGTERM with a 1 s shutdown timeout")
        // It waited for the request in flight, then gave up on it.
        #expect(waited >= .milliseconds(900), "exited after \(waited): it did not wait for the request in flight")
        #expect(server.process.terminationStatus == 0)
        server.stopReadingLog()
        #expect(server.logText().contains("shutdown timeout reached"))
        // The request cut short is logged as such (503), not as a server fault.
        #expect(server.logText().contains("error.code=shutting_down"))
        #expect(!server.logText().contains("request failed"))
        #expect(server.logText().contains("switchboard stopped"))
        #expect(upload.waitForClose(seconds: 5))
    }
}

/// A `switchboard serve` process on a free loopback port, with the shipped model, a feedback database in a
/// directory of its own, no file watching, and its log. It is stopped, and its directory removed, when the
/// value goes away.
final class ServerProcess: Sendable {
    let process: Process
    let port: Int
    private let directory: String
    private let log: LogSink
    private let errors: Pipe

    /// The bytes the process has written to standard error.
    final class LogSink: Sendable {
        let data = Mutex(Data())
        var text: String { data.withLock { String(decoding: $0, as: UTF8.self) } }
    }

    private init(process: Process, port: Int, directory: String, log: LogSink, errors: Pipe) {
        self.process = process
        self.port = port
        self.directory = directory
        self.log = log
        self.errors = errors
    }

    /// Starts the server with `arguments` added to `serve --model models/default.sbm --port 0 --feedback-db
    /// DIR/feedback.sqlite --reload-interval 0`, and waits until it logs where it listens.
    static func start(_ arguments: [String]) async throws -> ServerProcess {
        let directory = NSTemporaryDirectory() + "serve-process-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = try ServeProcessTests.executable()
        process.arguments = ["serve", "--model", ServeProcessTests.root.appendingPathComponent("models/default.sbm").path,
                             "--port", "0", "--feedback-db", directory + "/feedback.sqlite", "--reload-interval", "0"] + arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        let log = LogSink()
        errors.fileHandleForReading.readabilityHandler = { handle in
            let chunk = handle.availableData
            log.data.withLock { $0.append(chunk) }
        }
        try process.run()
        func logText() -> String { log.text }
        // The port it was given, from its "serving" log line.
        for _ in 0..<600 {
            if let line = logText().split(separator: "\n").first(where: { $0.contains("switchboard serving") }),
               let address = line.split(separator: " ").first(where: { $0.hasPrefix("address=") }),
               let port = address.split(separator: ":").last.flatMap({ Int($0) }) {
                return ServerProcess(process: process, port: port, directory: directory, log: log, errors: errors)
            }
            if !process.isRunning { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        if process.isRunning { process.terminate() }
        try? FileManager.default.removeItem(atPath: directory)
        throw ServerStartError(log: logText())
    }

    deinit {
        if process.isRunning { process.terminate() }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// What the server has written to standard error so far.
    func logText() -> String { log.text }

    /// Stops collecting the log (once the process has exited).
    func stopReadingLog() {
        errors.fileHandleForReading.readabilityHandler = nil
    }
}

struct ServerStartError: Error, CustomStringConvertible {
    let log: String
    var description: String { "the server did not say where it listens: \(log)" }
}

/// Runs blocking work on a thread of its own, off Swift's cooperative pool, and returns its result.
func onThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread.detachNewThread { continuation.resume(returning: work()) }
    }
}

/// A client that sends the head of a `POST /v1/route` and the start of its body, then nothing more.
final class StalledUpload: Sendable {
    let descriptor: Int32

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard descriptor >= 0, connected == 0 else { throw POSIXError(.ECONNREFUSED) }
        let head = Array("POST /v1/route HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"text\": \"bon".utf8)
        guard head.withUnsafeBytes({ send(descriptor, $0.baseAddress, $0.count, 0) }) == head.count else { throw POSIXError(.EIO) }
    }

    /// Reads until the server closes the connection (true) or `seconds` pass without a byte (false).
    func waitForClose(seconds: Int) -> Bool {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count == 0 { return true }
            if count < 0 { return errno == ECONNRESET }
        }
    }

    deinit { close(descriptor) }
}
