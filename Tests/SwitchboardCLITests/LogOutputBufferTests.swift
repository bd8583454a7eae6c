import Foundation
import Testing
@testable import SwitchboardCLI

/// Reads what is waiting in a pipe without blocking.
private func drain(_ pipe: Pipe) -> String {
    let descriptor = pipe.fileHandleForReading.fileDescriptor
    let flags = fcntl(descriptor, F_GETFL)
    _ = fcntl(descriptor, F_SETFL, flags | O_NONBLOCK)
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, 4096) }
        if count <= 0 { break }
        bytes.append(contentsOf: chunk[0..<count])
    }
    return String(decoding: bytes, as: UTF8.self)
}

@Test func logLinesWaitForAFlushButWarningsDoNot() {
    let pipe = Pipe()
    let buffer = LogOutputBuffer(descriptor: pipe.fileHandleForWriting.fileDescriptor, limit: 1 << 20)
    buffer.append("2026-11-30T06:25:13+0000 info switchboard: request one\n")
    buffer.append("2026-11-30T06:25:13+0000 debug switchboard: request two\n")
    #expect(drain(pipe) == "")
    // A warning takes the lines before it along, in order.
    buffer.append("2026-11-30T06:25:14+0000 warning switchboard: reload failed\n")
    #expect(drain(pipe) == """
        2026-11-30T06:25:13+0000 info switchboard: request one
        2026-11-30T06:25:13+0000 debug switchboard: request two
        2026-11-30T06:25:14+0000 warning switchboard: reload failed

        """)
    buffer.append("2026-11-30T06:25:15+0000 info switchboard: request three\n")
    #expect(drain(pipe) == "")
    buffer.flush()
    #expect(drain(pipe) == "2026-11-30T06:25:15+0000 info switchboard: request three\n")
    buffer.flush()
    #expect(drain(pipe) == "")
}

@Test func aFullLogBufferIsWrittenWithoutAFlush() {
    let pipe = Pipe()
    let buffer = LogOutputBuffer(descriptor: pipe.fileHandleForWriting.fileDescriptor, limit: 200)
    let line = "2026-11-30T06:25:13+0000 info switchboard: duration_ms=0.2 http.status=200 request\n"
    buffer.append(line)
    buffer.append(line)
    #expect(drain(pipe) == "")
    buffer.append(line)  // past 200 bytes
    #expect(drain(pipe) == String(repeating: line, count: 3))
}

@Test func urgentLinesAreWarningsAndAbove() {
    for level in ["warning", "error", "critical"] {
        #expect(LogOutputBuffer.isUrgent("2026-11-30T06:25:13+0000 \(level) switchboard: x\n"))
    }
    for level in ["trace", "debug", "info", "notice"] {
        #expect(!LogOutputBuffer.isUrgent("2026-11-30T06:25:13+0000 \(level) switchboard: x\n"))
    }
    // A line not in StreamLogHandler's shape is written at once rather than held.
    #expect(LogOutputBuffer.isUrgent("no-space-at-all"))
}
