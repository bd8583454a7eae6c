#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Standard error behind a buffer, for the server's log lines (written by ``BufferedLogHandler``).
///
/// Written by hand for the hot path: `switchboard serve` logs one line per request, and writing each line
/// to standard error as it comes is a system call per request. Gathering them got back about 4% of the
/// server's throughput on two cores (`Benchmarks/serve.sh`). Lines are written together: when 64 KiB have
/// gathered, when ``flush()`` is called (the server calls it every 100 ms and when it stops), and at once
/// for a line at warning level or above, so that problems are never held back.
final class LogOutputBuffer: Sendable {
    private let pending = Mutex<[UInt8]>([])
    private let limit: Int
    private let descriptor: Int32

    /// A buffer in front of `descriptor` (standard error by default) that writes when `limit` bytes gather.
    init(descriptor: Int32 = 2, limit: Int = 64 << 10) {
        self.descriptor = descriptor
        self.limit = limit
    }

    /// Adds one formatted line, as UTF-8 bytes; writes everything gathered if the buffer is full or
    /// `urgent` (warning level or above).
    func append(bytes line: [UInt8], urgent: Bool) {
        pending.withLock { bytes in
            bytes.append(contentsOf: line)
            if urgent || bytes.count >= limit { drain(&bytes) }
        }
    }

    /// Writes everything gathered so far.
    func flush() {
        pending.withLock { drain(&$0) }
    }

    /// Writes `bytes` in full (retrying short writes and interruptions) and empties them. Called under the lock,
    /// so that lines keep their order.
    private func drain(_ bytes: inout [UInt8]) {
        guard !bytes.isEmpty else { return }
        bytes.withUnsafeBytes { buffer in
            guard var pointer = buffer.baseAddress else { return }
            var left = buffer.count
            while left > 0 {
                let written = write(descriptor, pointer, left)
                if written < 0 && errno == EINTR { continue }
                // Standard error closed or full: the log is lost, not the server.
                if written <= 0 { return }
                pointer += written
                left -= written
            }
        }
        bytes.removeAll(keepingCapacity: bytes.capacity <= limit * 2)
    }
}
