import NIOCore
import NIOEmbedded
import NIOHTTP1

/// Builds each HTTP pipeline the program uses once, on the calling thread, before any event loop does.
///
/// Swift 6.3's runtime crashed (null metadata in `swift_checkMetadataState`, under `swift_conformsToProtocol`)
/// when two event-loop threads instantiated NIOHTTP1's generic handler types for the first time together:
/// an order lane adding its client handlers (`addHTTPClientHandlers`) while a WebSocket client configured
/// its upgradable pipeline (`configureUpgradableHTTPClientPipeline`). Seen twice in about 60 full test runs,
/// each time in a `run-executor` starting its venues. Instantiated here first, on one thread, those types
/// and their conformances are in the runtime's caches before any loop asks for them.
public enum HTTPPipelineWarmUp {
    /// Runs once per process; later calls return at once.
    public static func run() { _ = once }

    private static let once: Void = {
        let client = EmbeddedChannel()
        try? client.pipeline.syncOperations.addHTTPClientHandlers()
        _ = try? client.finish()

        let upgradable = EmbeddedChannel()
        let upgrade = NIOTypedHTTPClientUpgradeConfiguration<Bool>(
            upgradeRequestHead: HTTPRequestHead(version: .http1_1, method: .GET, uri: "/"), upgraders: [NoUpgrade()],
            notUpgradingCompletionHandler: { $0.eventLoop.makeSucceededFuture(false) })
        _ = try? upgradable.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(
            configuration: NIOUpgradableHTTPClientPipelineConfiguration(upgradeConfiguration: upgrade))
        _ = try? upgradable.finish()

        let server = EmbeddedChannel()
        try? server.pipeline.syncOperations.configureHTTPServerPipeline()
        _ = try? server.finish()
    }()

    /// An upgrader that is never offered an upgrade (the pipeline above is built, not used).
    private struct NoUpgrade: NIOTypedHTTPClientProtocolUpgrader {
        let supportedProtocol = "none"
        let requiredUpgradeHeaders: [String] = []
        func addCustom(upgradeRequestHeaders: inout HTTPHeaders) {}
        func shouldAllowUpgrade(upgradeResponse: HTTPResponseHead) -> Bool { false }
        func upgrade(channel: Channel, upgradeResponse: HTTPResponseHead) -> EventLoopFuture<Bool> { channel.eventLoop.makeSucceededFuture(false) }
    }
}
