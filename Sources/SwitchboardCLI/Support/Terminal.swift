import Foundation

/// Standard error, progress lines and output helpers for the commands.
enum Terminal {
    /// Whether standard error is a terminal (progress lines are shown only then).
    static let stderrIsTerminal = isatty(STDERR_FILENO) == 1

    /// Writes a line to standard error.
    static func warn(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// Rewrites the current progress line on a terminal; nothing in a pipe.
    static func progress(_ line: String) {
        guard stderrIsTerminal else { return }
        FileHandle.standardError.write(Data(("\r\u{1B}[2K" + line).utf8))
    }

    /// Ends a progress line.
    static func endProgress() {
        guard stderrIsTerminal else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8))
    }
}

/// Buffered standard output.
struct OutputBuffer {
    private var buffer = ""
    private let handle = FileHandle.standardOutput

    mutating func write(_ text: String) {
        buffer.append(text)
        if buffer.utf8.count >= 1 << 16 { flush() }
    }

    mutating func flush() {
        guard !buffer.isEmpty else { return }
        handle.write(Data(buffer.utf8))
        buffer.removeAll(keepingCapacity: true)
    }
}
