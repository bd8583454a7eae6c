#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A buffered source of bytes read in chunks: a file, standard input, or bytes already in memory.
///
/// The building block of ``LineReader`` and ``CSVReader``: it keeps one window of the input in a
/// buffer that it compacts and grows on demand, so readers built on it use memory bounded by the
/// longest record rather than by the input. It is a reference type because it owns a file
/// descriptor; it is meant to be used from one task at a time and is therefore not `Sendable`.
public final class ByteInput {
    /// The path that was opened, `-` for standard input, or the name given to in-memory bytes.
    public let path: String

    @usableFromInline var storage: UnsafeMutablePointer<UInt8>
    @usableFromInline var capacity: Int
    /// Index of the first unconsumed byte.
    @usableFromInline var start = 0
    /// Index one past the last byte read.
    @usableFromInline var end = 0
    /// True once the source reported the end of its input.
    @usableFromInline var atEnd = false
    /// How many bytes have been read from the source so far (for progress reports).
    public private(set) var bytesRead = 0

    private let descriptor: Int32
    private let ownsDescriptor: Bool
    private let chunkSize: Int

    /// Opens a file for reading, or standard input when `path` is `-`.
    ///
    /// - Throws: ``SwitchboardError`` with code `.io` when the file cannot be opened.
    public init(path: String, chunkSize: Int = 1 << 16) throws {
        self.path = path
        self.chunkSize = max(chunkSize, 16)
        if path == "-" {
            descriptor = 0
            ownsDescriptor = false
        } else {
            let fd = open(path, O_RDONLY)
            if fd < 0 {
                let reason = String(cString: strerror(errno))
                throw SwitchboardError(.io, "cannot open \(path): \(reason)", location: SourceLocation(file: path))
            }
            descriptor = fd
            ownsDescriptor = true
        }
        capacity = self.chunkSize
        storage = .allocate(capacity: capacity)
    }

    /// Wraps bytes already in memory (tests, or a part of a larger input), under a display name.
    public init(bytes: some Collection<UInt8>, name: String = "<memory>") {
        path = name
        descriptor = -1
        ownsDescriptor = false
        chunkSize = 16
        capacity = max(bytes.count, 1)
        storage = .allocate(capacity: capacity)
        var index = 0
        for byte in bytes {
            storage[index] = byte
            index += 1
        }
        end = index
        atEnd = true
    }

    deinit {
        if ownsDescriptor { _ = close(descriptor) }
        storage.deallocate()
    }

    /// The number of buffered, unconsumed bytes.
    @inlinable var available: Int { end - start }

    /// Reads more input into the buffer, compacting it first and growing it when it is full.
    ///
    /// Returns false at the end of the input (nothing more was read).
    @usableFromInline func fill() throws -> Bool {
        if atEnd { return false }
        if start > 0 {
            let count = end - start
            if count > 0 { storage.update(from: storage + start, count: count) }
            end = count
            start = 0
        }
        if end == capacity {
            let newCapacity = capacity * 2
            let newStorage = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
            newStorage.update(from: storage, count: end)
            storage.deallocate()
            storage = newStorage
            capacity = newCapacity
        }
        while true {
            let count = read(descriptor, storage + end, capacity - end)
            if count > 0 {
                end += count
                bytesRead += count
                return true
            }
            if count == 0 {
                atEnd = true
                return false
            }
            if errno == EINTR { continue }
            let reason = String(cString: strerror(errno))
            throw SwitchboardError(.io, "cannot read \(path): \(reason)", location: SourceLocation(file: path))
        }
    }

    /// Drops everything buffered and shrinks the buffer back to its chunk size if it grew.
    @usableFromInline func discardBuffered() {
        start = 0
        end = 0
        if capacity > chunkSize * 4, !atEnd {
            storage.deallocate()
            capacity = chunkSize
            storage = .allocate(capacity: capacity)
        }
    }

    /// Throws when the input starts with a UTF-16 byte-order mark, for the readers of UTF-8 lines and records.
    ///
    /// Excel's "Unicode text" and some Windows tools write UTF-16; read as UTF-8, such a file gave errors that
    /// pointed elsewhere ("the label contains a control character", "invalid JSON").
    public func refuseUTF16() throws {
        while available < 2, try fill() {}
        guard available >= 2 else { return }
        let first = storage[start], second = storage[start + 1]
        guard (first == 0xFF && second == 0xFE) || (first == 0xFE && second == 0xFF) else { return }
        throw SwitchboardError(
            .malformedRecord,
            "the file is UTF-16 (it starts with a UTF-16 byte-order mark, as Excel's 'Unicode text' does): save it as UTF-8, or convert it with iconv -f UTF-16 -t UTF-8",
            location: SourceLocation(file: path, line: 1))
    }

    /// Returns up to `count` of the next bytes without consuming them (for sniffing a format).
    public func peek(upTo count: Int) throws -> [UInt8] {
        while end - start < count, try fill() {}
        return Array(UnsafeBufferPointer(start: storage + start, count: min(count, end - start)))
    }

    /// Reads the whole remaining input, failing when it is longer than `limit` bytes.
    ///
    /// For formats that are parsed as one document (a Messenger JSON file, an e-mail).
    public func readAll(limit: Int) throws -> [UInt8] {
        while try fill() {
            if end - start > limit { break }
        }
        if end - start > limit {
            throw SwitchboardError(
                .malformedRecord, "input is larger than the limit of \(limit) bytes",
                location: SourceLocation(file: path))
        }
        let bytes = Array(UnsafeBufferPointer(start: storage + start, count: end - start))
        start = end
        return bytes
    }
}
