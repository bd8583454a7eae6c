import Foundation
import Logging
import Synchronization
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

private extension LogOutputBuffer {
    func append(_ line: String) {
        append(bytes: Array(line.utf8), urgent: line.contains(" warning ") || line.contains(" error ") || line.contains(" critical "))
    }
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

/// A stream for `StreamLogHandler` that keeps what it is given.
private final class CapturedStream: TextOutputStream, @unchecked Sendable {
    private let lock = NSLock()
    private var text = ""
    func write(_ string: String) { lock.withLock { text += string } }
    func take() -> String { lock.withLock { defer { text = "" }; return text } }
}

private struct SomeFailure: Error, CustomStringConvertible {
    var description: String { "the disk is full" }
}

/// Logs the same events through `StreamLogHandler` and `BufferedLogHandler` and returns both lines.
private func bothLines(handlerMetadata: Logger.Metadata, _ emit: (Logger) -> Void) -> (stream: String, buffered: String) {
    let captured = CapturedStream()
    var reference = Logger(label: "switchboard") { label in StreamLogHandler(label: label, stream: captured) }
    reference.logLevel = .trace
    let pipe = Pipe()
    let output = LogOutputBuffer(descriptor: pipe.fileHandleForWriting.fileDescriptor, limit: 1 << 20)
    var ours = Logger(label: "switchboard") { label in BufferedLogHandler(label: label, output: output) }
    ours.logLevel = .trace
    for (key, value) in handlerMetadata {
        reference[metadataKey: key] = value
        ours[metadataKey: key] = value
    }
    emit(reference)
    emit(ours)
    output.flush()
    return (captured.take(), drain(pipe))
}

@Test func logLinesAreTheSameAsStreamLogHandlers() {
    let cases: [(Logger.Metadata, (Logger) -> Void)] = [
        ([:], { $0.info("switchboard serving") }),
        (["hb.request.id": "4f2a"], { logger in
            logger.info("request", metadata: ["http.method": "POST", "http.path": "/v1/route", "http.status": .stringConvertible(200),
                                              "duration_ms": "0.042"])
        }),
        (["hb.request.id": "9", "zeta": "last"], { $0.debug("no metadata of its own") }),
        (["k": "handler"], { $0.warning("overridden", metadata: ["k": "line", "list": ["a", "b"], "map": ["x": "1"]]) }),
        ([:], { $0.error("reload failed", error: SomeFailure()) }),
        ([:], { $0.critical("été 👍 \"quoted\"", metadata: ["é": "ü"]) }),
        ([:], { $0.trace("", metadata: [:]) }),
    ]
    for (metadata, emit) in cases {
        var lines = bothLines(handlerMetadata: metadata, emit)
        // The two lines are made a moment apart: if a second ticked between them, log them again.
        if lines.stream.prefix(24) != lines.buffered.prefix(24) { lines = bothLines(handlerMetadata: metadata, emit) }
        #expect(lines.buffered == lines.stream)
        #expect(lines.buffered.hasSuffix("\n"))
    }
}

@Test func warningsAndAboveAreWrittenAtOnce() {
    for level in Logger.Level.allCases {
        let pipe = Pipe()
        let output = LogOutputBuffer(descriptor: pipe.fileHandleForWriting.fileDescriptor, limit: 1 << 20)
        var logger = Logger(label: "switchboard") { label in BufferedLogHandler(label: label, output: output) }
        logger.logLevel = .trace
        logger.log(level: level, "something")
        let written = drain(pipe)
        #expect(written.isEmpty == (level < .warning), "\(level)")
    }
}

@Test func theTimeIsFormattedOnceASecond() {
    let second = Mutex(1_764_483_913)
    let clock = TimestampText(now: { second.withLock { $0 } })
    var first: [UInt8] = [], again: [UInt8] = [], later: [UInt8] = []
    clock.append(to: &first)
    clock.append(to: &again)
    second.withLock { $0 += 61 }
    clock.append(to: &later)
    #expect(first == again)
    #expect(first != later)
    #expect(first == TimestampText.format(1_764_483_913))
    // 2025-11-30T06:25:13 UTC, written in the machine's own zone: the shape, and the minutes that move.
    let text = String(decoding: first, as: UTF8.self)
    #expect(text.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{4}/) != nil, "\(text)")
    #expect(String(decoding: later, as: UTF8.self).dropFirst(14).prefix(2) != text.dropFirst(14).prefix(2))
}
