import Foundation
import Logging
import Markets
import NIOCore
import Synchronization
import Testing
import TraderLink
import WSClient

/// The listener and the connector over real sockets on 127.0.0.1.
@Suite("Trader link over loopback")
struct TraderListenerTests {
    static let secret = Array("a shared secret for the link tests".utf8)

    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
        func add(_ line: String) { lines.withLock { $0.append(line) } }
        var all: [String] { lines.withLock { $0 } }
    }

    static func eventually(_ condition: () async -> Bool) async -> Bool {
        for _ in 0..<3_000 {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return await condition()
    }

    @Test("TS-40 over a socket: the right secret connects (init with dry_run reaches the trader, the registry lists it); a second trader for the same platform is refused; a wrong secret is refused, logged and closed")
    func connectAndRefuse() async throws {
        let log = Lines(), registry = TraderRegistry()
        var settings = TraderListener.Settings()
        settings.dryRun = true
        let listener = try await TraderListener.start(host: "127.0.0.1", port: 0, secret: Self.secret, registry: registry, settings: settings,
                                                      log: log.add)
        let url = "ws://127.0.0.1:\(listener.port)"
        let initial = Mutex<TraderMessage.Init?>(nil)
        let first = Task {
            await TraderConnector.session(url: url, secret: Self.secret, platforms: [.kalshi], onInit: { value in initial.withLock { $0 = value } },
                                          handle: { _ in nil })
        }
        #expect(await Self.eventually { await registry.platforms == [.kalshi] })
        #expect(await Self.eventually { initial.withLock { $0 } != nil })
        #expect(initial.withLock { $0 } == TraderMessage.Init(platforms: [.kalshi], dryRun: true), "dry_run propagates")
        let connected = await registry.connected
        #expect(connected.count == 1 && connected.first?.address.hasPrefix("127.0.0.1:") == true)

        let second = await TraderConnector.session(url: url, secret: Self.secret, platforms: [.kalshi], onInit: { _ in }, handle: { _ in nil })
        guard case let .refused(why) = second else { Issue.record("a second kalshi trader was admitted: \(second)"); return }
        #expect(why.contains("a kalshi trader is already connected"), "\(why)")

        let wrong = Array("somebody else's secret, long too".utf8)
        let impostor = await TraderConnector.session(url: url, secret: wrong, platforms: [.polymarket], onInit: { _ in }, handle: { _ in nil })
        guard case let .refused(reason) = impostor else { Issue.record("a wrong secret connected: \(impostor)"); return }
        #expect(reason.contains("does not hold the secret"))
        #expect(await Self.eventually { log.all.contains { $0.contains("closed before authenticating") } }, "\(log.all)")
        #expect(await registry.platforms == [.kalshi], "the impostor was never admitted")
        #expect(!log.all.joined().contains(String(decoding: Self.secret, as: UTF8.self)), "the secret is never logged")

        first.cancel()
        await listener.stop()
        #expect(await Self.eventually { await registry.connected.isEmpty })
    }

    /// A raw client: connects, sends `frames`, then reads until the controller closes (cleanly or with a
    /// reset); what it received.
    static func raw(_ port: Int, sending frames: [String]) async throws -> [String] {
        let received = Mutex<[String]>([])
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        do {
            _ = try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)", logger: logger) { inbound, outbound, _ in
                for frame in frames { try await outbound.write(.text(frame)) }
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    if case let .text(text) = message { received.withLock { $0.append(text) } }
                }
            }
        } catch let error as IOError where error.errnoCode == ECONNRESET {
            // The controller closed right after its answer: what arrived before counts.
        }
        return received.withLock { $0 }
    }

    @Test("a connection that never completes the handshake is closed at the timeout; a malformed handshake is answered with an error and dropped")
    func silentAndMalformed() async throws {
        let log = Lines(), registry = TraderRegistry()
        var settings = TraderListener.Settings()
        // Long enough for a loaded machine to upgrade and read a frame; the silent client waits it out.
        settings.handshakeTimeout = .seconds(3)
        let listener = try await TraderListener.start(host: "127.0.0.1", port: 0, secret: Self.secret, registry: registry, settings: settings,
                                                      log: log.add)
        let silent = try await Self.raw(listener.port, sending: [])
        #expect(silent.isEmpty)
        #expect(log.all.contains { $0.contains("no handshake within") }, "\(log.all)")
        let garbage = try await Self.raw(listener.port, sending: ["{\"type\": garbage"])
        #expect(garbage.count == 1 && garbage.first?.contains("\"type\":\"error\"") == true, "\(garbage)")
        #expect(log.all.contains { $0.contains("dropped (malformed handshake)") }, "\(log.all)")
        let early = try await Self.raw(listener.port, sending: [TraderMessage.legStatus(.init(legID: "x")).frame])
        #expect(early.first?.contains("refused") == true && log.all.contains { $0.contains("leg_status before the handshake completed") })
        #expect(await registry.connected.isEmpty)
        await listener.stop()
    }
}
