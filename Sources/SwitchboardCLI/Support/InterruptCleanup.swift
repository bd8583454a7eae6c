import Dispatch
import Foundation
import Switchboard

/// SIGINT and SIGTERM for the commands that write files: remove the temporary file of the write in progress,
/// then exit as the signal would have (status 128 + signal).
///
/// Without it, Ctrl-C during `batch -o` left a `.out.jsonl.<pid>.<n>.tmp` of megabytes beside the output
/// (the output itself was never touched). `serve` handles these signals itself, with a graceful shutdown.
enum InterruptCleanup {
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []
    private static let installed: Void = {
        for signal in [SIGINT, SIGTERM] {
            // The default action would end the process before the handler runs.
            Foundation.signal(signal, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signal, queue: .global())
            source.setEventHandler {
                AtomicFile.removeTemporaryFiles()
                Terminal.endProgress()
                exit(128 + signal)
            }
            source.resume()
            sources.append(source)
        }
    }()

    /// Installs the handlers (once per process).
    static func install() {
        _ = installed
    }
}
