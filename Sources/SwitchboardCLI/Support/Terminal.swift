import Foundation
import Switchboard

/// Standard error, progress lines and output helpers for the commands.
enum Terminal {
    /// Whether standard error is a terminal (progress lines are shown only then).
    static let stderrIsTerminal = isatty(STDERR_FILENO) == 1

    /// Writes a line to standard error. A standard error that cannot be written (closed, on a full disk) loses
    /// the line, not the process: `FileHandle.write(_:)` would trap.
    static func warn(_ line: String) {
        try? FileHandle.standardError.write(contentsOf: Data((line + "\n").utf8))
    }

    /// Rewrites the current progress line on a terminal; nothing in a pipe.
    static func progress(_ line: String) {
        guard stderrIsTerminal else { return }
        try? FileHandle.standardError.write(contentsOf: Data(("\r\u{1B}[2K" + line).utf8))
    }

    /// Ends a progress line.
    static func endProgress() {
        guard stderrIsTerminal else { return }
        try? FileHandle.standardError.write(contentsOf: Data("\r\u{1B}[2K".utf8))
    }
}

/// Buffered standard output. A write that fails (a full disk, a closed descriptor) is an error the command
/// reports and exits non-zero for, not a crash and not a silent loss.
struct OutputBuffer {
    private var buffer = ""
    private let handle = FileHandle.standardOutput

    mutating func write(_ text: String) throws {
        buffer.append(text)
        if buffer.utf8.count >= 1 << 16 { try flush() }
    }

    mutating func flush() throws {
        guard !buffer.isEmpty else { return }
        defer { buffer.removeAll(keepingCapacity: true) }
        do {
            try handle.write(contentsOf: Data(buffer.utf8))
        } catch {
            throw StandardOutput.writeError(cause: error)
        }
    }
}

/// Standard output as `print` uses it (C's buffered `stdout`).
enum StandardOutput {
    /// Flushes `stdout` and reports whether anything written to it was lost: `print` ignores write errors,
    /// so a full disk would otherwise end `eval` or `inspect` with status 0 and a truncated report.
    static func finish() throws {
        // fflush(nil) flushes every stream: `stdout` itself cannot be named in Swift 6 (a global C variable).
        // A write that failed earlier leaves its bytes in the buffer, so this flush fails too.
        if fflush(nil) != 0 {
            throw writeError(cause: POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO))
        }
    }

    static func writeError(cause: any Error) -> SwitchboardError {
        SwitchboardError(.io, "cannot write to standard output; the output is incomplete", cause: cause as NSError)
    }
}
