import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// UDP discovery: a controller that listens for traders announces itself once a second; a trader given no
/// controller URL waits for an announcement and connects to the sender's address at the announced port.
/// An announcement carries no secret and grants nothing: the mutual HMAC handshake still decides.
public enum Beacon {
    /// `{"type":"arb_controller","version":1,"ws_port":9001,"scheme":"ws"}`.
    public struct Announcement: Codable, Sendable, Hashable {
        public var type = "arb_controller"
        public var version = TraderMessage.version
        public var wsPort: Int
        public var scheme: String
        enum CodingKeys: String, CodingKey { case type, version, wsPort = "ws_port", scheme }
        public init(wsPort: Int, scheme: String) {
            self.wsPort = wsPort
            self.scheme = scheme
        }
    }

    /// A controller found by its beacon.
    public struct Found: Sendable, Hashable {
        public var host: String
        public var announcement: Announcement
        public var url: String { "\(announcement.scheme)://\(host):\(announcement.wsPort)" }
    }

    /// Sends the announcement to `address:port` every `interval` until stopped.
    public final class Announcer: Sendable {
        private let channel: any Channel
        private let task: Task<Void, Never>

        private init(channel: any Channel, task: Task<Void, Never>) {
            self.channel = channel
            self.task = task
        }

        public static func start(_ announcement: Announcement, to address: String, port: Int, interval: Duration = .seconds(1)) async throws -> Announcer {
            let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelOption(.socketOption(.so_broadcast), value: 1)
                .bind(host: "0.0.0.0", port: 0).get()
            let target = try SocketAddress(ipAddress: address, port: port)
            let payload = (try? JSONEncoder().encode(announcement)).map { [UInt8]($0) } ?? []
            let task = Task<Void, Never> {
                repeat {
                    let envelope = AddressedEnvelope(remoteAddress: target, data: channel.allocator.buffer(bytes: payload))
                    try? await channel.writeAndFlush(envelope).get()
                } while (try? await Task.sleep(for: interval)) != nil
            }
            return Announcer(channel: channel, task: task)
        }

        public func stop() async {
            task.cancel()
            await task.value
            try? await channel.close().get()
        }
    }

    /// Waits for the first valid announcement on `host:port` (datagrams that are not one are ignored).
    public static func discover(listeningOn host: String, port: Int) async throws -> Found {
        let found = FoundBox()
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(BeaconReader(found: found)) }
            }
            .bind(host: host, port: port).get()
        return try await withTaskCancellationHandler {
            defer { channel.close(promise: nil) }
            return try await found.wait()
        } onCancel: {
            found.cancel()
        }
    }
}

private final class BeaconReader: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let found: FoundBox
    init(found: FoundBox) { self.found = found }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard envelope.data.readableBytes <= 1_024, let host = envelope.remoteAddress.ipAddress,
              let announcement = try? JSONDecoder().decode(Beacon.Announcement.self, from: Data(envelope.data.readableBytesView)),
              announcement.type == "arb_controller", (1...65_535).contains(announcement.wsPort), ["ws", "wss"].contains(announcement.scheme)
        else { return }
        found.deliver(Beacon.Found(host: host, announcement: announcement))
    }
}

/// The first announcement, handed to whoever waits for it.
private final class FoundBox: Sendable {
    private struct State {
        var value: Beacon.Found?
        var waiter: CheckedContinuation<Beacon.Found, any Error>?
        var cancelled = false
    }
    private let state = Mutex(State())

    func deliver(_ found: Beacon.Found) {
        let waiter = state.withLock { state -> CheckedContinuation<Beacon.Found, any Error>? in
            guard state.value == nil else { return nil }
            state.value = found
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: found)
    }

    func cancel() {
        let waiter = state.withLock { state -> CheckedContinuation<Beacon.Found, any Error>? in
            state.cancelled = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(throwing: CancellationError())
    }

    func wait() async throws -> Beacon.Found {
        try await withCheckedThrowingContinuation { continuation in
            let ready = state.withLock { state -> Result<Beacon.Found, any Error>? in
                if let value = state.value { return .success(value) }
                if state.cancelled { return .failure(CancellationError()) }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(with: ready) }
        }
    }
}
