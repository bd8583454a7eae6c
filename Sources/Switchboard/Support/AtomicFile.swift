import Foundation

/// Writes files atomically: into a temporary file beside the target, flushed to disk, then renamed over it.
///
/// A reader never sees a half-written file, and a crash leaves the old file in place.
public enum AtomicFile {
    /// Writes `data` to `path` atomically.
    public static func write(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        let temporary = "\(directory)/.\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).\(UInt32.random(in: 0...UInt32.max)).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else {
            throw SwitchboardError(.io, "cannot create a temporary file in \(directory): \(String(cString: strerror(errno)))", location: SourceLocation(file: path))
        }
        var failure: SwitchboardError?
        data.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            var offset = 0
            while offset < buffer.count {
                let written = Foundation.write(fd, base + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = SwitchboardError(.io, "cannot write \(temporary): \(String(cString: strerror(errno)))", location: SourceLocation(file: path))
                    return
                }
                offset += written
            }
        }
        if failure == nil, fsync(fd) != 0 {
            failure = SwitchboardError(.io, "cannot flush \(temporary): \(String(cString: strerror(errno)))", location: SourceLocation(file: path))
        }
        close(fd)
        if let failure {
            unlink(temporary)
            throw failure
        }
        guard rename(temporary, path) == 0 else {
            let message = String(cString: strerror(errno))
            unlink(temporary)
            throw SwitchboardError(.io, "cannot move the new file into place: \(message)", location: SourceLocation(file: path))
        }
    }
}

/// Streams a file into place atomically: writes go to a temporary file beside the target, which
/// ``commit()`` flushes and renames over it; ``abort()`` (or never committing) leaves the target untouched.
public final class AtomicFileWriter {
    /// The final path.
    public let path: String
    private let temporary: String
    private let handle: FileHandle
    private var buffer = Data()
    private var done = false

    /// Opens a temporary file beside `path`.
    public init(path: String) throws {
        self.path = path
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        temporary = "\(directory)/.\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).\(UInt32.random(in: 0...UInt32.max)).tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: nil), let handle = FileHandle(forWritingAtPath: temporary) else {
            throw SwitchboardError(.io, "cannot create a temporary file in \(directory)", location: SourceLocation(file: path))
        }
        self.handle = handle
    }

    /// Appends text.
    public func write(_ text: String) throws {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 20 { try flush() }
    }

    private func flush() throws {
        do {
            try handle.write(contentsOf: buffer)
        } catch {
            throw SwitchboardError(.io, "cannot write the output", location: SourceLocation(file: path), cause: error as NSError)
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes to disk and moves the file into place.
    public func commit() throws {
        try flush()
        do {
            try handle.synchronize()
            try handle.close()
        } catch {
            throw SwitchboardError(.io, "cannot flush the output", location: SourceLocation(file: path), cause: error as NSError)
        }
        guard rename(temporary, path) == 0 else {
            let message = String(cString: strerror(errno))
            unlink(temporary)
            throw SwitchboardError(.io, "cannot move the output into place: \(message)", location: SourceLocation(file: path))
        }
        done = true
    }

    /// Discards the temporary file.
    public func abort() {
        guard !done else { return }
        try? handle.close()
        unlink(temporary)
        done = true
    }

    deinit { abort() }
}
