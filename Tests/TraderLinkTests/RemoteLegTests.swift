import Foundation
import Markets
import Synchronization
import Testing
@testable import TraderLink
import Logging
import WSClient

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

    @Test("a trader admitted whose init is not written yet serves no leg: a leg then is not sent (definitive), never written ahead of the init; its platform stays taken")
    func admittedBeforeInit() async throws {
        let registry = TraderRegistry()
        let written = Mutex<[String]>([])
        let send: @Sendable (TraderMessage) async throws -> Void = { message in written.withLock { $0.append(message.type) } }
        guard case let .success(id) = await registry.admit(platforms: [.kalshi], address: "first", send: send) else {
            Issue.record("not admitted")
            return
        }
        #expect(await registry.platforms.isEmpty && registry.paths.current.isEmpty)
        guard case .notSent = await registry.execute(Self.leg("leg-early"), timeout: .seconds(5)) else {
            Issue.record("a leg went to a trader before its init")
            return
        }
        #expect(written.withLock { $0 }.isEmpty)
        guard case .failure = await registry.admit(platforms: [.kalshi], address: "second", send: send) else {
            Issue.record("a second kalshi trader was admitted")
            return
        }
        await registry.activate(id)
        #expect(await registry.platforms == [.kalshi] && registry.paths.current == [.kalshi])
        let running = Task { await registry.execute(Self.leg("leg-after"), timeout: .seconds(30)) }
        #expect(await TraderListenerTests.eventually { written.withLock { $0 } == ["execute_leg"] })
        await registry.received(id, .init(legID: "leg-after", platform: .kalshi, success: true, filled: Contracts(hundredths: 1_000),
                                          avgPrice: Dollars(micros: 400_000), orderID: "o-1", error: nil, ambiguous: false, fees: .zero))
        guard case .result = await running.value else {
            Issue.record("no result")
            return
        }
    }
}

/// $0.40.
let forty: Price = {
    guard let price = Price(micros: 400_000) else { preconditionFailure("0.40 is a price") }
    return price
}()

extension RemoteLegTests {
    static func leg(_ id: String, platform: Platform = .kalshi) -> TraderMessage.ExecuteLeg {
        TraderMessage.ExecuteLeg(marketID: "KX-1", legID: id, platform: platform, action: .buy, side: .yes, price: forty,
                                 contracts: Contracts(hundredths: 1_000), instrument: "KX-1", pairID: "pair", description: "")
    }

    /// A listener and one authenticated trader whose `receive` is `answer`.
    static func linked(pingInterval: Duration = .seconds(5),
                       answer: @escaping @Sendable (TraderMessage, ControllerLink) async -> Void) async throws -> (TraderListener, TraderRegistry, Lines, Task<TraderConnector.Ended, Never>) {
        let log = Lines(), registry = TraderRegistry()
        var settings = TraderListener.Settings()
        settings.pingInterval = pingInterval
        let listener = try await TraderListener.start(host: "127.0.0.1", port: 0, secret: TraderListenerTests.secret, registry: registry, settings: settings,
                                                      log: log.add)
        // A session that ends before it is admitted (its handshake past the listener's 5 s on a loaded machine)
        // is tried again, as a trader process does; one that was admitted ends the task when it ends.
        let admitted = Mutex(false)
        let session = Task {
            while true {
                let ended = await TraderConnector.session(url: "ws://127.0.0.1:\(listener.port)", secret: TraderListenerTests.secret, platforms: [.kalshi],
                                                          onInit: { _, _ in admitted.withLock { $0 = true } }, receive: answer)
                if admitted.withLock({ $0 }) || Task.isCancelled { return ended }
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
        for _ in 0..<3_000 where await registry.platforms != [.kalshi] { try await Task.sleep(for: .milliseconds(10)) }
        #expect(await registry.platforms == [.kalshi], "admitted within 30 s: \(log.all)")
        return (listener, registry, log, session)
    }

    @Test("a leg the trader answers comes back with its fills; legs in flight are counted while it runs; the trader's balance is kept")
    func answered() async throws {
        let (listener, registry, _, session) = try await Self.linked { message, link in
            guard case let .executeLeg(leg) = message else { return }
            try? await link.send(.balance(.init(platform: .kalshi, available: Dollars(micros: 12_340_000))))
            try? await Task.sleep(for: .milliseconds(100))
            let fill = TraderMessage.LegResultMessage.Fill(fillID: "f1", count: Contracts(hundredths: 1_000), price: forty,
                                                           fee: Dollars(micros: 170_000), role: "taker", ts: 1)
            try? await link.send(.legResult(.init(legID: leg.legID, platform: .kalshi, success: true, filled: Contracts(hundredths: 1_000),
                                                  avgPrice: Dollars(micros: 400_000), orderID: "o-1", error: nil, ambiguous: false, fees: Dollars(micros: 170_000),
                                                  fills: [fill])))
        }
        let running = Task { await registry.execute(Self.leg("leg-a"), timeout: .seconds(10)) }
        #expect(await TraderListenerTests.eventually { await registry.connected.first?.legsInFlight == 1 })
        guard case let .result(result) = await running.value else { Issue.record("no result"); return }
        #expect(result.fills?.first?.fillID == "f1" && result.orderID == "o-1")
        #expect(await registry.connected.first?.legsInFlight == 0)
        #expect(await registry.available(.kalshi) == Dollars(micros: 12_340_000))
        session.cancel()
        await listener.stop()
    }

    @Test("TS-38 at the link: the trader goes away mid-leg → the leg is lost (ambiguous), never failed; a result later than the timeout is kept and answers status")
    func lostAndLate() async throws {
        let received = Mutex(false)
        let (listener, registry, log, session) = try await Self.linked { message, _ in
            if case .executeLeg = message { received.withLock { $0 = true } }
        }
        let running = Task { await registry.execute(Self.leg("leg-lost"), timeout: .seconds(30)) }
        #expect(await TraderListenerTests.eventually { await registry.connected.first?.legsInFlight == 1 })
        // The trader has the leg (counted in flight before it is written: cancelled sooner, the write fails,
        // and the leg is lost for that reason).
        #expect(await TraderListenerTests.eventually { received.withLock { $0 } })
        session.cancel()
        guard case let .lost(reason) = await running.value else { Issue.record("the leg was not lost"); return }
        #expect(reason.contains("disconnected before answering"), "\(reason)")
        #expect(await TraderListenerTests.eventually { log.all.contains { $0.contains("disconnected") } })
        do {
            _ = try await registry.status("leg-lost", platform: .kalshi, timeout: .seconds(1))
            Issue.record("a trader that is not connected answered")
        } catch {
            #expect(error.description.contains("no kalshi trader is connected"))
        }

        // A slow trader: the leg times out (lost), its late result is kept for status.
        let (slowListener, slowRegistry, _, slowSession) = try await Self.linked { message, link in
            guard case let .executeLeg(leg) = message else { return }
            try? await Task.sleep(for: .milliseconds(300))
            try? await link.send(.legResult(.init(legID: leg.legID, platform: .kalshi, success: true, filled: Contracts(hundredths: 500),
                                                  avgPrice: Dollars(micros: 400_000), orderID: "o-late", error: nil, ambiguous: false, fees: .zero)))
        }
        guard case .lost = await slowRegistry.execute(Self.leg("leg-slow"), timeout: .milliseconds(50)) else { Issue.record("no timeout"); return }
        try await Task.sleep(for: .milliseconds(500))
        let late = try await slowRegistry.status("leg-slow", platform: .kalshi, timeout: .seconds(1))
        #expect(late.orderID == "o-late" && late.filled == "5.00")
        slowSession.cancel()
        await slowListener.stop()
        await listener.stop()
    }

    @Test("a trader that stops answering pings is dropped after three intervals: its legs become ambiguous then, not when TCP notices")
    func silentTraderDropped() async throws {
        let log = Lines(), registry = TraderRegistry()
        var settings = TraderListener.Settings()
        settings.pingInterval = .milliseconds(100)
        let listener = try await TraderListener.start(host: "127.0.0.1", port: 0, secret: TraderListenerTests.secret, registry: registry, settings: settings,
                                                      log: log.add)
        // A trader that authenticates and then never answers anything.
        let mute = Task {
            var logger = Logger(label: "mute")
            logger.logLevel = .critical
            _ = try? await WebSocketClient.connect(url: "ws://127.0.0.1:\(listener.port)", logger: logger) { inbound, outbound, _ in
                var handshake = TraderSideHandshake(secret: TraderListenerTests.secret, platforms: [.kalshi])
                try await outbound.write(.text(handshake.opening.frame))
                for try await message in inbound.messages(maxSize: 1 << 16) {
                    guard case let .text(text) = message, let parsed = try? TraderMessage(frame: text) else { continue }
                    if case let .send(reply) = handshake.receive(parsed) { try await outbound.write(.text(reply.frame)) }
                }
            }
        }
        #expect(await TraderListenerTests.eventually { await registry.platforms == [.kalshi] })
        let running = Task { await registry.execute(Self.leg("leg-mute"), timeout: .seconds(30)) }
        guard case .lost = await running.value else { Issue.record("the leg was not lost"); return }
        #expect(log.all.contains { $0.contains("silent for") && $0.contains("dropped") }, "\(log.all)")
        mute.cancel()
        await listener.stop()
    }
}
