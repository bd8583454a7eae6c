import HTTPTypes
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import Testing
@testable import SwitchboardServer

/// Stands for a socket that has not yet taken what was written: it keeps the write promises until told.
private final class HeldWrites: ChannelOutboundHandler {
    typealias OutboundIn = HTTPResponsePart
    var promises: [EventLoopPromise<Void>] = []

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if let promise { promises.append(promise) }
    }

    func releaseAll() {
        let held = promises
        promises = []
        for promise in held { promise.succeed() }
    }
}

@Suite struct FlushBeforeCloseHandlerTests {
    private func channel() throws -> (EmbeddedChannel, HeldWrites) {
        let held = HeldWrites()
        let channel = EmbeddedChannel()
        // Outbound order: FlushBeforeCloseHandler, then the held "socket".
        try channel.pipeline.syncOperations.addHandler(held)
        try channel.pipeline.syncOperations.addHandler(FlushBeforeCloseHandler(timeout: .seconds(10)))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return (channel, held)
    }

    @Test func aCloseWaitsForTheEndOfTheResponseToBeWritten() throws {
        let (channel, held) = try channel()
        channel.write(HTTPResponsePart.head(HTTPResponse(status: .ok)), promise: nil)
        channel.write(HTTPResponsePart.end(nil), promise: nil)
        let closed = channel.close()
        channel.embeddedEventLoop.run()
        #expect(channel.isActive, "closed while the end of the response was still unwritten")
        held.releaseAll()
        channel.embeddedEventLoop.run()
        #expect(!channel.isActive)
        try closed.wait()
    }

    @Test func aClientThatStopsReadingHoldsTheCloseForTheTimeoutOnly() throws {
        let (channel, _) = try channel()
        channel.write(HTTPResponsePart.end(nil), promise: nil)
        _ = channel.close()
        channel.embeddedEventLoop.advanceTime(by: .seconds(9))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(!channel.isActive)
    }

    @Test func aCloseWithNothingPendingIsNotHeld() throws {
        let (channel, held) = try channel()
        channel.write(HTTPResponsePart.end(nil), promise: nil)
        held.releaseAll()
        channel.embeddedEventLoop.run()
        _ = channel.close()
        channel.embeddedEventLoop.run()
        #expect(!channel.isActive)
    }
}
