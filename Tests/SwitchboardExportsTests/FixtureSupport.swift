import Foundation
import Switchboard
@testable import SwitchboardExports

/// The path of a fixture under `Fixtures/`.
func fixture(_ relative: String) -> String {
    guard let root = Bundle.module.path(forResource: "Fixtures", ofType: nil) else {
        fatalError("Fixtures are missing from the test bundle")
    }
    return (root as NSString).appendingPathComponent(relative)
}

/// Reads every record of a reader.
func drain(_ reader: any ExportReader) throws -> (messages: [Message], failures: [SwitchboardError], statistics: ExportStatistics) {
    var messages: [Message] = []
    var failures: [SwitchboardError] = []
    while let record = try reader.next() {
        switch record {
        case .message(let message): messages.append(message)
        case .failure(let error): failures.append(error)
        }
    }
    return (messages, failures, reader.statistics)
}

/// Writes bytes to a new temporary file and returns its path.
func temporaryFile(_ name: String, _ bytes: [UInt8]) throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-exports-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let url = directory.appendingPathComponent(name)
    try Data(bytes).write(to: url)
    return url.path
}

/// The fixture's raw bytes.
func fixtureBytes(_ relative: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixture(relative))))
}
