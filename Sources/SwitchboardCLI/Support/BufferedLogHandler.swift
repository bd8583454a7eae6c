#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import Synchronization

/// The server's log handler: swift-log's `StreamLogHandler` line format, written into a ``LogOutputBuffer``.
///
/// Written by hand for the hot path (`switchboard serve` logs a line per request). `StreamLogHandler`
/// formats the time with `localtime` and `strftime` for every line, merges and sorts the metadata into a
/// new dictionary and string, formats its own metadata again each time Hummingbird sets the request id,
/// and hands the line to a stream as a `String`. Here the time text is made once a second and the line
/// is built as bytes, straight into the buffer: logging's share of the server's CPU samples (`perf
/// record` under `Benchmarks/serve.sh`) fell from 4.4% to 2.1%, the request-id setter's included. The
/// lines are the same, byte for byte, as a test checks, so that whatever reads the log keeps working:
///
///     2026-11-30T06:25:13+0000 info switchboard: duration_ms=0.042 hb.request.id=... [SwitchboardServer] request
struct BufferedLogHandler: LogHandler {
    var logLevel: Logger.Level = .info
    var metadataProvider: Logger.MetadataProvider?
    var metadata: Logger.Metadata = [:]

    private let label: String
    private let output: LogOutputBuffer
    private let clock: TimestampText

    init(label: String, output: LogOutputBuffer, metadataProvider: Logger.MetadataProvider? = LoggingSystem.metadataProvider,
         clock: TimestampText = .shared) {
        self.label = label
        self.output = output
        self.metadataProvider = metadataProvider
        self.clock = clock
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var line: [UInt8] = []
        line.reserveCapacity(256)
        clock.append(to: &line)
        line.append(0x20)
        line.append(contentsOf: event.level.rawValue.utf8)
        if !label.isEmpty { line.append(0x20) }
        line.append(contentsOf: label.utf8)
        line.append(0x3A)
        var pairs = effectiveMetadata(event)
        if !pairs.isEmpty {
            pairs.sort { $0.key < $1.key }
            for (key, value) in pairs {
                line.append(0x20)
                line.append(contentsOf: key.utf8)
                line.append(0x3D)
                switch value {
                case .string(let text): line.append(contentsOf: text.utf8)
                default: line.append(contentsOf: value.description.utf8)
                }
            }
        }
        line.append(contentsOf: " [".utf8)
        line.append(contentsOf: event.source.utf8)
        line.append(contentsOf: "] ".utf8)
        line.append(contentsOf: event.message.description.utf8)
        line.append(0x0A)
        output.append(bytes: line, urgent: event.level >= .warning)
    }

    /// The metadata of a line, unsorted: the handler's, the provider's over it, the line's over both, then the
    /// error's two entries (the merge `StreamLogHandler` makes), without building a merged dictionary.
    private func effectiveMetadata(_ event: LogEvent) -> [(key: String, value: Logger.Metadata.Value)] {
        let provided = metadataProvider?.get() ?? [:]
        let explicit = event.metadata ?? [:]
        let error = event.error
        func kept(_ key: String) -> Bool {
            error == nil || (key != "error.message" && key != "error.type")
        }
        var pairs: [(key: String, value: Logger.Metadata.Value)] = []
        pairs.reserveCapacity(metadata.count + provided.count + explicit.count + 2)
        for (key, value) in metadata where provided[key] == nil && explicit[key] == nil && kept(key) {
            pairs.append((key, value))
        }
        for (key, value) in provided where explicit[key] == nil && kept(key) {
            pairs.append((key, value))
        }
        for (key, value) in explicit where kept(key) {
            pairs.append((key, value))
        }
        if let error {
            pairs.append(("error.message", "\(error)"))
            pairs.append(("error.type", "\(String(reflecting: type(of: error)))"))
        }
        return pairs
    }
}

/// The local time as `StreamLogHandler` writes it (`%Y-%m-%dT%H:%M:%S%z`), formatted once a second.
final class TimestampText: Sendable {
    static let shared = TimestampText()

    private let cached = Mutex<(second: Int, text: [UInt8])>((second: Int.min, text: []))
    private let now: @Sendable () -> Int

    /// A clock reading `now` (seconds since 1970); the system's by default.
    init(now: @escaping @Sendable () -> Int = { time(nil) }) {
        self.now = now
    }

    /// Appends the current second's text.
    func append(to line: inout [UInt8]) {
        let second = now()
        let text = cached.withLock { cache -> [UInt8] in
            if cache.second != second { cache = (second, Self.format(second)) }
            return cache.text
        }
        line.append(contentsOf: text)
    }

    /// `second` in local time, or `<unknown>` as `StreamLogHandler` writes when the time cannot be converted.
    static func format(_ second: Int) -> [UInt8] {
        var timestamp = time_t(second)
        var local = tm()
        guard localtime_r(&timestamp, &local) != nil else { return Array("<unknown>".utf8) }
        var buffer = [Int8](repeating: 0, count: 64)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &local)
        return buffer[0..<count].map { UInt8(bitPattern: $0) }
    }
}
