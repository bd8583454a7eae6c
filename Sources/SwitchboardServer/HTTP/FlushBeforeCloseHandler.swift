import NIOCore
import NIOHTTPTypes

/// Holds back a connection's close until the response written before it has reached the socket.
///
/// On graceful shutdown (SIGTERM), Hummingbird 2.28's `HTTPConnectionStateHandler` closes a connection
/// right after writing the end of its last response: `writeAndFlush(end)` then `close()` at once. When the
/// response is larger than the socket can take in one go (a batch of thousands of decisions, several MB),
/// the part still queued in NIO is dropped with the close, and the client gets a truncated body
/// (`ServeProcessTests` saw 3.9 of 4.5 MB arrive). This handler sits between that handler and the HTTP
/// encoder (Hummingbird's `additionalChannelHandlers`): it remembers the write of each response's end,
/// and a full close waits for that write to complete, or fail, before it goes on, so a response in flight
/// at shutdown is sent whole. A client that stops reading cannot hold the server up for long: the close
/// goes ahead after `timeout` anyway.
final class FlushBeforeCloseHandler: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let timeout: TimeAmount
    /// The write of the last response's end, while it has not completed.
    private var pendingEnd: EventLoopFuture<Void>?

    init(timeout: TimeAmount = .seconds(10)) {
        self.timeout = timeout
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .end = unwrapOutboundIn(data) else {
            context.write(data, promise: promise)
            return
        }
        // Only the end of a response is followed: one promise a response.
        let written = promise ?? context.eventLoop.makePromise()
        let future = written.futureResult
        pendingEnd = future
        // Everything here runs on the channel's event loop.
        future.assumeIsolated().whenComplete { [weak self] _ in
            if let self, self.pendingEnd === future { self.pendingEnd = nil }
        }
        context.write(data, promise: written)
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard mode == .all, let pendingEnd else {
            context.close(mode: mode, promise: promise)
            return
        }
        // Make sure what is queued is being written, then close once the end is out (or the wait is over).
        context.flush()
        var closed = false
        let closeNow = {
            guard !closed else { return }
            closed = true
            context.close(mode: mode, promise: promise)
        }
        let deadline = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { closeNow() }
        pendingEnd.assumeIsolated().whenComplete { _ in
            deadline.cancel()
            closeNow()
        }
    }
}
