import NIOCore
import NIOPosix

/// A TCP listener on 127.0.0.1 that accepts connections and never answers: the "hung venue" fault.
public final class SilentPeer: Sendable {
    private let channel: any Channel
    public var port: Int { channel.localAddress?.port ?? 0 }

    private init(channel: any Channel) { self.channel = channel }

    public static func start() async throws -> SilentPeer {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in channel.eventLoop.makeSucceededVoidFuture() }
            .bind(host: "127.0.0.1", port: 0).get()
        return SilentPeer(channel: channel)
    }

    public func stop() async { try? await channel.close() }
}
