import Foundation
import Hummingbird
import HummingbirdTesting
import Switchboard
import Testing
@testable import SwitchboardServer

@Suite struct ReloadTests {
    /// A server over copies of the shipped files, which the test may then change.
    func serverOverCopies() throws -> (RoutingServer, model: String, policy: String) {
        let directory = try temporaryDirectory()
        let model = directory + "/model.sbm", policy = directory + "/policy.yaml"
        try FileManager.default.copyItem(atPath: shippedModelPath, toPath: model)
        try FileManager.default.copyItem(atPath: shippedPolicyPath, toPath: policy)
        let server = try makeServer {
            $0.modelPath = model
            $0.policyPath = policy
        }
        return (server, model, policy)
    }

    func write(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    @Test func anInvalidPolicyLeavesTheOldOneServingAndIsCounted() async throws {
        let (server, _, policy) = try serverOverCopies()
        let before = server.engine.threshold
        try write("queues: [this is not a mapping", to: policy)
        #expect(await server.reloader.reload(trigger: "test") == false)
        #expect(server.engine.threshold == before)
        #expect(server.engine.policy.queues["claims"] != nil)
        #expect(server.metrics.exposition().contains(#"switchboard_model_reloads_total{result="failure"} 1"#))
        try await server.makeApplication().test(.router) { client in
            try await client.execute(uri: "/v1/route", method: .post, body: body(#"{"text": "URGENT incendie dans la cuisine"}"#)) { response in
                #expect(response.status == .ok)
                #expect(response.object["queue"] as? String == "claims")
            }
            try await client.execute(uri: "/v1/model", method: .get) { response in
                let reloads = response.object["reloads"] as? [String: Any]
                #expect(reloads?["failed"] as? Int == 1)
                #expect((reloads?["last_error"] as? String)?.contains("policy.yaml") == true)
            }
        }
    }

    @Test func aValidChangeIsSwappedIn() async throws {
        let (server, _, policy) = try serverOverCopies()
        let original = try String(contentsOfFile: policy, encoding: .utf8)
        try write(original + "\nabstention:\n  threshold: 0.99\n", to: policy)
        #expect(await server.reloader.reload(trigger: "test") == true)
        #expect(server.engine.threshold == 0.99)
        #expect(server.metrics.exposition().contains(#"switchboard_model_reloads_total{result="success"} 1"#))
    }

    @Test func aCorruptModelLeavesTheOldOneServing() async throws {
        let (server, model, _) = try serverOverCopies()
        let data = try Data(contentsOf: URL(fileURLWithPath: model))
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: model))
        #expect(await server.reloader.reload(trigger: "test") == false)
        #expect(server.engine.model.id == shippedModel.id)
        #expect(server.engine.route("URGENT incendie dans la cuisine").queue == "claims")
    }

    @Test func fileChangesAreNoticedAndUnchangedFilesAreNotReloaded() async throws {
        let (server, _, policy) = try serverOverCopies()
        await server.reloader.checkForChanges()
        #expect(server.metrics.exposition().contains(#"switchboard_model_reloads_total{result="success"} 0"#))
        let original = try String(contentsOfFile: policy, encoding: .utf8)
        try write(original + "\nabstention:\n  threshold: 0.5\n", to: policy)
        await server.reloader.checkForChanges()
        #expect(server.engine.threshold == 0.5)
        await server.reloader.checkForChanges()
        #expect(server.metrics.exposition().contains(#"switchboard_model_reloads_total{result="success"} 1"#))
        // A broken file is tried once, not again and again.
        try write("version: [", to: policy)
        await server.reloader.checkForChanges()
        await server.reloader.checkForChanges()
        #expect(server.metrics.exposition().contains(#"switchboard_model_reloads_total{result="failure"} 1"#))
        #expect(server.engine.threshold == 0.5)
    }

    /// The server watches a path that is a symbolic link (as Kubernetes mounts a ConfigMap): replacing the file
    /// behind it, by rename or in place, went unnoticed, since the link itself never changed.
    @Test func aFileBehindASymbolicLinkIsWatched() async throws {
        let directory = try temporaryDirectory()
        let target = directory + "/policy-v1.yaml", link = directory + "/policy.yaml"
        try FileManager.default.copyItem(atPath: shippedPolicyPath, toPath: target)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "policy-v1.yaml")
        let server = try makeServer {
            $0.modelPath = shippedModelPath
            $0.policyPath = link
        }
        let original = try String(contentsOfFile: target, encoding: .utf8)
        try write(original + "\nabstention:\n  threshold: 0.5\n", to: target)  // renamed over the target
        await server.reloader.checkForChanges()
        #expect(server.engine.threshold == 0.5)
        let handle = try #require(FileHandle(forWritingAtPath: target))  // rewritten in place
        try handle.truncate(atOffset: 0)
        try handle.write(contentsOf: Data((original + "\nabstention:\n  threshold: 0.75\n").utf8))
        try handle.close()
        await server.reloader.checkForChanges()
        #expect(server.engine.threshold == 0.75)
        #expect(server.metrics.exposition().contains(#"switchboard_model_reloads_total{result="success"} 2"#))
    }
}
