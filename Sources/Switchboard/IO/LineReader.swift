#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One line of a text input, without its line terminator.
public struct Line: Sendable, Hashable {
    /// The bytes of the line, without `\n` or `\r\n` (and without a leading UTF-8 BOM on line 1).
    public var bytes: [UInt8]
    /// The 1-based line number.
    public var number: Int
    /// True when the line was longer than the reader's limit and was cut there.
    public var isTruncated: Bool

    /// Creates a line.
    public init(bytes: [UInt8], number: Int, isTruncated: Bool = false) {
        self.bytes = bytes
        self.number = number
        self.isTruncated = isTruncated
    }

    /// The line decoded as UTF-8; invalid sequences are replaced by U+FFFD.
    public var string: String { String(decoding: bytes, as: UTF8.self) }
}

/// Reads a file (or standard input) line by line through a buffer, with 1-based line numbers.
///
/// Memory is bounded by the buffer and the longest line, never by the size of the input: a line
/// longer than `maxLineLength` is cut at that length, flagged with ``Line/isTruncated`` and the
/// rest of it skipped. `\n` and `\r\n` end lines; a last line without terminator is returned
/// too. A UTF-8 byte order mark at the start of the input is dropped.
///
/// ```swift
/// let reader = try LineReader(path: "messages.jsonl")
/// while let line = try reader.next() { print(line.number, line.string) }
/// ```
public final class LineReader {
    /// The input being read.
    public let input: ByteInput
    /// Lines longer than this many bytes are cut and flagged.
    public let maxLineLength: Int
    /// The number of the last line returned (0 before the first).
    public private(set) var lineNumber = 0
    private var checkedByteOrderMark = false

    /// The path of the input (`-` for standard input).
    public var path: String { input.path }

    /// Opens a file, or standard input when `path` is `-`.
    public convenience init(path: String, maxLineLength: Int = 16 << 20) throws {
        try self.init(input: ByteInput(path: path), maxLineLength: maxLineLength)
    }

    /// Reads lines from an already opened input.
    public init(input: ByteInput, maxLineLength: Int = 16 << 20) {
        self.input = input
        self.maxLineLength = max(maxLineLength, 1)
    }

    /// Reads lines from bytes in memory.
    public convenience init(bytes: some Collection<UInt8>, name: String = "<memory>", maxLineLength: Int = 16 << 20) {
        self.init(input: ByteInput(bytes: bytes, name: name), maxLineLength: maxLineLength)
    }

    /// Returns the next line, or nil at the end of the input.
    public func next() throws -> Line? {
        try withNextLine { bytes, number, truncated in
            Line(bytes: Array(bytes), number: number, isTruncated: truncated)
        }
    }

    /// Calls `body` with the next line's bytes (valid only during the call), its number and
    /// whether it was truncated; returns nil at the end of the input.
    ///
    /// This avoids a copy per line, for hot paths such as JSON Lines.
    public func withNextLine<R>(
        _ body: (_ bytes: UnsafeBufferPointer<UInt8>, _ number: Int, _ isTruncated: Bool) throws -> R
    ) throws -> R? {
        let input = self.input
        if !checkedByteOrderMark {
            checkedByteOrderMark = true
            try input.refuseUTF16()
            while input.available < 3, try input.fill() {}
            if input.available >= 3, input.storage[input.start] == 0xEF,
               input.storage[input.start + 1] == 0xBB, input.storage[input.start + 2] == 0xBF {
                input.start += 3
            }
        }
        /// The line from `input.start` to `end` (a `\r` before it dropped), cut at the limit and flagged if longer;
        /// the next line starts at `next`. The limit holds whatever the buffering: a longer line whose newline came
        /// in the same read was returned whole.
        func line(endingAt end: Int, next: Int) throws -> R {
            let lineStart = input.start
            var lineEnd = end
            if lineEnd > lineStart, input.storage[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            input.start = next
            lineNumber += 1
            let length = lineEnd - lineStart
            return try body(UnsafeBufferPointer(start: input.storage + lineStart, count: min(length, maxLineLength)), lineNumber, length > maxLineLength)
        }
        var scanFrom = input.start
        while true {
            let remaining = input.end - scanFrom
            if remaining > 0, let found = memchr(input.storage + scanFrom, 0x0A, remaining) {
                let newline = input.storage.distance(to: found.assumingMemoryBound(to: UInt8.self))
                return try line(endingAt: newline, next: newline + 1)
            }
            // More than the limit without a newline: the line is longer than it (at exactly the limit, the next
            // byte decides; a `\r` just past it may end a line of exactly the limit, so the byte after it decides).
            if input.available > maxLineLength,
               input.storage[input.start + maxLineLength] != 0x0D || input.available > maxLineLength + 1 {
                return try truncatedLine(body)
            }
            let scanned = input.end - input.start
            if try !input.fill() {
                if input.available == 0 { return nil }
                return try line(endingAt: input.end, next: input.end)
            }
            scanFrom = input.start + scanned
        }
    }

    /// Returns the first `maxLineLength` bytes of an over-long line and skips the rest of it.
    private func truncatedLine<R>(_ body: (UnsafeBufferPointer<UInt8>, Int, Bool) throws -> R) throws -> R {
        lineNumber += 1
        let head = Array(UnsafeBufferPointer(start: input.storage + input.start, count: maxLineLength))
        input.start += maxLineLength
        // Skip to the end of the line without keeping it.
        while true {
            let remaining = input.end - input.start
            if remaining > 0, let found = memchr(input.storage + input.start, 0x0A, remaining) {
                input.start = input.storage.distance(to: found.assumingMemoryBound(to: UInt8.self)) + 1
                break
            }
            input.discardBuffered()
            if try !input.fill() { break }
        }
        return try head.withUnsafeBufferPointer { try body($0, lineNumber, true) }
    }
}
