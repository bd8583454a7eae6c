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
