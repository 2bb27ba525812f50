import ExchangeSim
import ExecutorTesting
import Foundation
import KalshiWire
import Markets
import Testing
@testable import DataClient

/// Live books over a real WebSocket to the simulator on 127.0.0.1.
@Suite("Live order books over the WebSocket")
struct LiveMarketDataTests {
    static let tickers = ["KXNFL-26JAN11-BUF", "KXHIGHNY-26JAN11-T60", "KXBTC-26JAN11-B100K"]

    struct Harness {
        let sim: SimFixture
        let data: LiveMarketData
        let activity: SyntheticActivity

        static func start(useYesPrice: Bool = true, seed: UInt64 = 11) async throws -> Harness {
            let sim = try await SimFixture.start()
            let activity = SyntheticActivity(exchange: sim.exchange, seed: seed)
            await activity.seedBooks()
            let data = LiveMarketData(socket: sim.webSocket(), useYesPrice: useYesPrice)
            await data.start()
            try await data.watchBooks(LiveMarketDataTests.tickers)
            return Harness(sim: sim, data: data, activity: activity)
        }

        func stop() async {
            await data.stop()
            await sim.stop()
        }

        /// Every watched book is fresh and equal to the exchange's own book.
        func converged() async -> Bool {
            for ticker in LiveMarketDataTests.tickers {
                guard case let .fresh(book, _) = await data.book(ticker), book == (await sim.exchange.orderBook(ticker)) else { return false }
            }
            return true
        }
    }

    @Test("TS-01 snapshot then thousands of deltas: the served book equals the exchange's after every batch")
    func snapshotThenDeltas() async throws {
        let h = try await Harness.start()
        defer { Task { await h.stop() } }
        #expect(await eventually { await h.converged() })
        for _ in 0..<40 {
            for _ in 0..<50 { await h.activity.step() }
            #expect(await eventually { await h.converged() }, "books diverged")
        }
        let counters = await h.data.counters
        #expect(counters.gaps == 0 && counters.inconsistentDeltas == 0)
    }

    @Test("property: with gaps, reorders, duplicates, drops and malformed frames injected, every book converges to the truth")
    func faultsConverge() async throws {
        let h = try await Harness.start(seed: 99)
        defer { Task { await h.stop() } }
        #expect(await eventually { await h.converged() })
        let faults: [SimWSFault] = [.skipSequence, .reorder, .duplicate, .malformedFrame, .dropConnection, .skipSequence, .duplicate, .reorder]
        for round in 0..<24 {
            h.sim.server.webSocketFaults.inject(faults[round % faults.count])
            for _ in 0..<60 { await h.activity.step() }
            let converged = await eventually(timeout: .seconds(15)) { await h.converged() }
            let counters = await h.data.counters
            #expect(converged, "round \(round) (\(faults[round % faults.count])): books did not converge; counters \(counters)")
        }
        let counters = await h.data.counters
        #expect(counters.gaps > 0, "gaps were detected")
        #expect(counters.malformedFrames > 0)
    }

    @Test("TS-02 a cancel that empties the best bid removes the level: no phantom liquidity")
    func cancelAtBestBid() async throws {
        let sim = try await SimFixture.start()
        defer { Task { await sim.stop() } }
        let ticker = Self.tickers[0]
        _ = await sim.exchange.createOrder(account: "mm", CreateOrderV2Request(ticker: ticker, clientOrderID: "a", side: .bid, count: contracts("5"), price: price("0.40"), timeInForce: .goodTillCanceled))
        let best = try #require(try? await sim.exchange.createOrder(account: "mm", CreateOrderV2Request(ticker: ticker, clientOrderID: "b", side: .bid, count: contracts("3"), price: price("0.42"), timeInForce: .goodTillCanceled)).get())
        let data = LiveMarketData(socket: sim.webSocket())
        await data.start()
        try await data.watchBooks([ticker])
        #expect(await eventually { await data.book(ticker).freshBook?.bestBid(.yes)?.price == price("0.42") })
        _ = await sim.exchange.cancelOrder(account: "mm", orderID: best.orderID)
        #expect(await eventually { await data.book(ticker).freshBook?.bestBid(.yes) == BookLevel(price: price("0.40"), size: contracts("5")) })
        #expect(await data.book(ticker).freshBook?.bidSize(.yes, at: price("0.42")) == .zero)
        await data.stop()
    }

    @Test("TS-03 a skipped seq marks the books stale at once, then a fresh snapshot restores the truth")
    func gapThenResync() async throws {
        let h = try await Harness.start()
        defer { Task { await h.stop() } }
        #expect(await eventually { await h.converged() })
        var sawStale = false
        let watcher = Task {
            for await update in h.data.updates { if case .book(_, .stale) = update { return true } }
            return false
        }
        h.sim.server.webSocketFaults.inject(.skipSequence)
        for _ in 0..<20 { await h.activity.step() }
        #expect(await eventually { await h.data.counters.gaps >= 1 })
        sawStale = await watcher.value
        #expect(sawStale, "consumers were told the book is stale")
        #expect(await eventually { await h.converged() })
        #expect(await h.data.counters.resnapshots >= 1)
    }

    @Test("TS-04 a dropped connection reconnects, re-authenticates, restores every subscription and re-snapshots")
    func reconnect() async throws {
        let h = try await Harness.start()
        defer { Task { await h.stop() } }
        try await h.data.watch(.trade)
        try await h.data.watch(.ticker, tickers: [Self.tickers[0]])
        #expect(await eventually { await h.converged() })
        h.sim.server.webSocketFaults.inject(.dropConnection)
        for _ in 0..<10 { await h.activity.step() }
        #expect(await eventually { await h.data.socket.connections >= 2 })
        #expect(await eventually { await h.converged() })
        let channels = try await h.data.socket.listSubscriptions().map(\.channel).sorted()
        #expect(channels == ["orderbook_delta", "ticker", "trade"])
    }

    @Test("TS-05 terminal errors 10 and 25 re-create the subscription", arguments: [10, 25])
    func terminalError(code: Int) async throws {
        let h = try await Harness.start()
        defer { Task { await h.stop() } }
        #expect(await eventually { await h.converged() })
        let before = try await h.data.socket.listSubscriptions()
        h.sim.server.webSocketFaults.inject(.terminalError(code: code))
        for _ in 0..<30 { await h.activity.step() }
        #expect(await eventually { await h.data.counters.terminalErrors == 1 })
        #expect(await eventually { await h.converged() })
        let after = try await h.data.socket.listSubscriptions()
        #expect(after.count == before.count)
        #expect(after.map(\.sid) != before.map(\.sid), "a new sid serves the re-created subscription")
    }

    @Test("TS-06 a malformed frame is counted, the connection lives, the next frames apply")
    func malformedFrame() async throws {
        let h = try await Harness.start()
        defer { Task { await h.stop() } }
        #expect(await eventually { await h.converged() })
        h.sim.server.webSocketFaults.inject(.malformedFrame)
        for _ in 0..<20 { await h.activity.step() }
        #expect(await eventually { await h.data.socket.malformedFrames == 1 })
        #expect(await eventually { await h.converged() })
        #expect(await h.data.socket.connections == 1)
    }

    @Test("TS-06b the default NO-leg price convention yields the same books as the YES scale")
    func noLegPricing() async throws {
        let h = try await Harness.start(useYesPrice: false)
        defer { Task { await h.stop() } }
        let yesScale = LiveMarketData(socket: h.sim.webSocket(), useYesPrice: true)
        await yesScale.start()
        try await yesScale.watchBooks(Self.tickers)
        for _ in 0..<300 { await h.activity.step() }
        #expect(await eventually { await h.converged() })
        for ticker in Self.tickers {
            // The books, not their `seq`: each connection numbers its own subscription's messages.
            #expect(await eventually {
                guard let book = await yesScale.book(ticker).freshBook else { return false }
                return book == (await h.data.book(ticker)).freshBook
            })
        }
        await yesScale.stop()
    }

    @Test("a silent connection (stalled, no pongs) is detected and replaced")
    func silence() async throws {
        let sim = try await SimFixture.start()
        defer { Task { await sim.stop() } }
        let socket = sim.webSocket { $0.silenceTimeout = .milliseconds(300) }
        let data = LiveMarketData(socket: socket)
        await data.start()
        try await data.watchBooks([Self.tickers[0]])
        #expect(await eventually { await data.book(Self.tickers[0]).freshBook != nil })
        sim.server.webSocketFaults.inject(.stall(.seconds(3)))
        _ = await sim.exchange.createOrder(account: "mm", CreateOrderV2Request(ticker: Self.tickers[0], clientOrderID: "s", side: .bid, count: contracts("1"), price: price("0.10"), timeInForce: .goodTillCanceled))
        #expect(await eventually { await socket.connections >= 2 })
        #expect(await eventually { await data.book(Self.tickers[0]).freshBook?.bidSize(.yes, at: price("0.10")) == contracts("1") })
        await data.stop()
    }

    @Test("a venue that accepts TCP but never answers the upgrade is abandoned and retried, not waited on forever")
    func hungUpgrade() async throws {
        let peer = try await SilentPeer.start()
        defer { Task { await peer.stop() } }
        var configuration = KalshiWebSocket.Configuration(url: URL(string: "ws://127.0.0.1:\(peer.port)/trade-api/ws/v2")!, credentials: nil)
        configuration.connectTimeout = .milliseconds(300)
        configuration.backoffBase = .milliseconds(20)
        configuration.backoffMax = .milliseconds(50)
        let socket = KalshiWebSocket(configuration)
        await socket.start()
        var attempts = 0
        var reasons: [String] = []
        for await event in socket.events {
            if case let .state(.waiting(_, reason)) = event { reasons.append(reason) }
            if case .state(.connecting) = event { attempts += 1 }
            if attempts >= 3 { break }
        }
        #expect(reasons.first?.contains("upgrade not completed") == true, "\(reasons)")
        await socket.stop()
    }

    @Test("the upgrade requires valid authentication")
    func authRequired() async throws {
        let sim = try await SimFixture.start()
        defer { Task { await sim.stop() } }
        let anonymous = sim.webSocket(anonymous: true)
        await anonymous.start()
        var reason = ""
        for await event in anonymous.events {
            if case let .state(.waiting(_, why)) = event { reason = why; break }
        }
        #expect(await anonymous.connections == 0)
        #expect(!reason.isEmpty)
        await anonymous.stop()
    }

    @Test("lifecycle: a price grid change and a determination reach consumers")
    func lifecycle() async throws {
        let sim = try await SimFixture.start()
        defer { Task { await sim.stop() } }
        let data = LiveMarketData(socket: sim.webSocket())
        await data.start()
        try await data.watch(.marketLifecycle)
        let received = Task {
            var events: [String] = []
            for await update in data.updates {
                if case let .lifecycle(event) = update {
                    events.append(event.eventType)
                    if events.count == 2 { return events }
                }
            }
            return events
        }
        await sim.exchange.updatePriceGrid(Self.tickers[0], grid: .deciCent, structure: "deci_cent")
        await sim.exchange.lifecycle(Self.tickers[0], event: "determined", result: "yes")
        #expect(await received.value == ["price_level_structure_updated", "determined"])
        #expect(await data.announcedGrid(Self.tickers[0]) == .deciCent, "the new grid replaces the old one")
        #expect(await data.haltReason(Self.tickers[0]) == "determined")
        #expect(await data.book(Self.tickers[0]) == .unknown, "a determined market's book is dropped")
        await data.stop()
    }
}
