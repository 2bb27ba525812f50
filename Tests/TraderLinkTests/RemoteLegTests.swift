import Foundation
import Markets
import Synchronization
import Testing
import TraderLink

/// Legs over the link: the controller's registry hands legs to a trader and reads its results.
@Suite("Remote legs over loopback")
struct RemoteLegTests {
    typealias Lines = TraderListenerTests.Lines

    @Test("a trader's shutdown message retires it at once and is logged with what it cancelled")
    func shutdownMessage() async throws {
        let log = Lines(), registry = TraderRegistry()
        let listener = try await TraderListener.start(host: "127.0.0.1", port: 0, secret: TraderListenerTests.secret, registry: registry, log: log.add)
        let session = Task {
            await TraderConnector.session(url: "ws://127.0.0.1:\(listener.port)", secret: TraderListenerTests.secret, platforms: [.kalshi], onInit: { _, link in
                try? await link.send(.shutdown(.init(reason: "stopping", cancelled: 2)))
                try? await link.close()
            }, receive: { _, _ in })
        }
        _ = await session.value
        #expect(await TraderListenerTests.eventually { log.all.contains { $0.contains("is shutting down (stopping); it cancelled 2 resting order(s)") } }, "\(log.all)")
        await listener.stop()
    }
}
