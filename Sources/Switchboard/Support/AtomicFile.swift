import Foundation
import Synchronization

/// Writes files atomically: into a temporary file beside the target, flushed to disk, then renamed over it.
///
/// A reader never sees a half-written file, and a crash leaves the old file in place.
public enum AtomicFile {
    /// Writes `data` to `path` atomically.
    public static func write(_ data: Data, to requested: String) throws {
        let path = try destination(for: requested)
        let (temporary, fd) = try createTemporary(beside: path)
        defer { PendingTemporaryFiles.remove(temporary) }
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

extension AtomicFile {
    /// Creates a new temporary file beside `path` (`.name.pid.random.tmp`, so that the rename stays on one file
    /// system) and registers it for ``removeTemporaryFiles()``; returns its path and an open descriptor.
    static func createTemporary(beside path: String) throws -> (path: String, descriptor: Int32) {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        let temporary = "\(directory)/.\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).\(UInt32.random(in: 0...UInt32.max)).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else {
            throw SwitchboardError(.io, "cannot create a temporary file in \(directory): \(String(cString: strerror(errno)))", location: SourceLocation(file: path))
        }
        PendingTemporaryFiles.add(temporary)
        // The new file replaces an old one: keep its permissions (a model kept 0600 stays 0600) and, where the
        // process may, its owner and group; otherwise the rename would leave 0644 and the writer's identity.
        var existing = stat()
        if stat(path, &existing) == 0, existing.st_mode & S_IFMT == S_IFREG {
            _ = fchown(fd, existing.st_uid, existing.st_gid)
            _ = fchmod(fd, existing.st_mode & 0o7777)
        }
        return (temporary, fd)
    }

    /// Checks, before any work, that `output` can be written and is none of `inputs` (files read by the same
    /// command; `-` and paths that do not exist are skipped).
    ///
    /// `train -o corpus.tsv corpus.tsv` used to replace the corpus with the model and exit 0, and an output in
    /// a missing directory failed only after the whole training. Files are compared by device and inode, so
    /// a symbolic link or another spelling of the same path is caught too.
    public static func checkOutput(_ output: String, notAnyOf inputs: [String]) throws {
        let path = try destination(for: output)
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var directoryInfo = stat()
        guard stat(directory, &directoryInfo) == 0 else {
            throw SwitchboardError(.io, "cannot write the output: its directory \(directory) cannot be reached (\(String(cString: strerror(errno))))",
                                   location: SourceLocation(file: output))
        }
        guard directoryInfo.st_mode & S_IFMT == S_IFDIR else {
            throw SwitchboardError(.io, "cannot write the output: \(directory) is not a directory", location: SourceLocation(file: output))
        }
        guard access(directory, W_OK | X_OK) == 0 else {
            throw SwitchboardError(.io, "cannot write the output: no permission to create files in \(directory)", location: SourceLocation(file: output))
        }
        var outputInfo = stat()
        guard stat(path, &outputInfo) == 0 else { return }
        for input in inputs where input != "-" {
            var inputInfo = stat()
            guard stat(input, &inputInfo) == 0 else { continue }
            if inputInfo.st_dev == outputInfo.st_dev && inputInfo.st_ino == outputInfo.st_ino {
                throw SwitchboardError(.invalidArgument, "the output is also an input (\(input)): writing it would replace what is being read; give another output path",
                                       location: SourceLocation(file: output))
            }
        }
    }

    /// Removes the temporary files of the atomic writes in progress, for a command stopped by a signal: the
    /// targets are untouched either way, and this leaves no `.name.pid.n.tmp` of megabytes beside them.
    /// Only `unlink` calls, under a lock; call it from a signal-handling queue, then exit.
    public static func removeTemporaryFiles() {
        PendingTemporaryFiles.unlinkAll()
    }

    /// The file that writing to `path` should replace: `path` itself when it is a regular file or does not
    /// exist yet, the file a symbolic link points to (so that the link stays a link).
    ///
    /// Renaming over anything else would replace it: `--output /dev/null` would have turned the device into a
    /// regular file, and a named pipe would have lost its reader. Those, and directories, are refused.
    static func destination(for path: String, depth: Int = 0) throws -> String {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            if errno == ENOENT { return path }
            throw SwitchboardError(.io, "cannot write here: \(String(cString: strerror(errno)))", location: SourceLocation(file: path))
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG:
            return path
        case S_IFLNK:
            guard depth < 32 else {
                throw SwitchboardError(.io, "cannot write here: too many levels of symbolic links", location: SourceLocation(file: path))
            }
            var target = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let length = readlink(path, &target, target.count - 1)
            guard length > 0 else {
                throw SwitchboardError(.io, "cannot read the symbolic link: \(String(cString: strerror(errno)))", location: SourceLocation(file: path))
            }
            let link = String(decoding: target[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let resolved = link.hasPrefix("/") ? link : URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent(link).path
            return try destination(for: resolved, depth: depth + 1)
        case S_IFDIR:
            throw SwitchboardError(.io, "cannot write the output here: it is a directory; give a file path", location: SourceLocation(file: path))
        default:
            throw SwitchboardError(.io, "cannot write the output here: it is not a regular file (a device, a pipe or a socket), and the atomic write would replace it; give a file path", location: SourceLocation(file: path))
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
    public init(path requested: String) throws {
        let path = try AtomicFile.destination(for: requested)
        self.path = path
        let (temporary, fd) = try AtomicFile.createTemporary(beside: path)
        self.temporary = temporary
        self.handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
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
            PendingTemporaryFiles.remove(temporary)
            throw SwitchboardError(.io, "cannot move the output into place: \(message)", location: SourceLocation(file: path))
        }
        PendingTemporaryFiles.remove(temporary)
        done = true
    }

    /// Discards the temporary file.
    public func abort() {
        guard !done else { return }
        try? handle.close()
        unlink(temporary)
        PendingTemporaryFiles.remove(temporary)
        done = true
    }

    deinit { abort() }
}

/// The temporary files of atomic writes in progress, so that a command stopped by a signal can remove them.
enum PendingTemporaryFiles {
    private static let paths = Mutex<Set<String>>([])

    static func add(_ path: String) { paths.withLock { _ = $0.insert(path) } }
    static func remove(_ path: String) { paths.withLock { _ = $0.remove(path) } }
    static func unlinkAll() { paths.withLock { for path in $0 { unlink(path) } } }
}
