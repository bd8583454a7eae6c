import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Switchboard
@testable import SwitchboardServer

/// The repository's root (this file is Tests/SwitchboardServerTests/ServerTestSupport.swift).
let repositoryRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The shipped model and policy.
let shippedModelPath = repositoryRoot.appendingPathComponent("models/default.sbm").path
let shippedPolicyPath = repositoryRoot.appendingPathComponent("models/policy.yaml").path

/// The shipped model, read once.
let shippedModel: NaiveBayesModel = {
    do { return try ModelFile.read(from: shippedModelPath) } catch { fatalError("cannot read the shipped model: \(error)") }
}()

/// A fresh temporary directory for one test.
func temporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "switchboard-server-tests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// A server over the shipped model and policy, with a feedback database in a temporary directory.
/// `configure` adjusts the configuration (limits, token) first.
func makeServer(_ configure: (inout ServerConfiguration) -> Void = { _ in }) throws -> RoutingServer {
    let directory = try temporaryDirectory()
    var configuration = ServerConfiguration(
        modelPath: shippedModelPath, policyPath: shippedPolicyPath, port: 0,
        feedbackDatabasePath: directory + "/feedback.sqlite", reloadInterval: nil)
    configure(&configuration)
    let policy = try configuration.policyPath.map { try RoutingPolicy.load(from: $0, labels: shippedModel.labels) }
    let engine = try RoutingEngine(model: shippedModel, policy: policy)
    var logger = Logger(label: "switchboard-test")
    logger.logLevel = .critical
    return RoutingServer(configuration: configuration, engine: engine,
                         feedback: try configuration.feedbackDatabasePath.map { try FeedbackStore(path: $0) }, logger: logger)
}

/// A body from a JSON literal.
func body(_ json: String) -> ByteBuffer { ByteBuffer(string: json) }

/// A body from any JSON-serializable value.
func body(json value: Any) throws -> ByteBuffer {
    ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: value))
}

extension TestResponse {
    /// The body as a JSON object (empty when it is not one).
    var object: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any] ?? [:]
    }

    /// The body as text.
    var text: String { String(buffer: body) }
}

/// Errors a test throws when a response is not what it expected.
struct TestFailure: Error, CustomStringConvertible {
    var description: String
}
