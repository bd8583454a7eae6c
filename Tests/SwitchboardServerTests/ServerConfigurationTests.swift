import Switchboard
import SwitchboardServer
import Testing

@Test func outOfRangeServerSettingsAreRefused() {
    let base = ServerConfiguration(modelPath: "models/default.sbm")
    #expect(throws: Never.self) { try base.validate() }
    let changes: [(String, (inout ServerConfiguration) -> Void)] = [
        ("port", { $0.port = 70_000 }),
        ("max batch", { $0.maxBatch = 0 }),
        ("max body", { $0.maxBodyBytes = 10 }),
        ("host", { $0.host = "" }),
        ("token", { $0.token = "" }),
        ("idle timeout", { $0.idleTimeout = .zero }),
        ("negative idle timeout", { $0.idleTimeout = .seconds(-1) }),
        ("shutdown timeout", { $0.shutdownTimeout = .zero }),
    ]
    for (name, change) in changes {
        var configuration = base
        change(&configuration)
        #expect(throws: SwitchboardError.self, "\(name)") { try configuration.validate() }
    }
    // No idle timeout at all is a choice, not an error.
    var unlimited = base
    unlimited.idleTimeout = nil
    #expect(throws: Never.self) { try unlimited.validate() }
}
