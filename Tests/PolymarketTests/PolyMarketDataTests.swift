import ExchangeSim
import ExecutorTesting
import Foundation
import Markets
import PolymarketClient
import PolymarketWire
import Testing

/// Waits (bounded) until `condition` holds; false if it never did.
func eventually(_ timeout: Duration = .seconds(30), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return try await condition()
}

/// The market channel kept as exact local books against the simulator (TS-P01…P06, Polymarket's TS-01…06).
@Suite("Polymarket market data over loopback")
struct PolyMarketDataTests {
    struct Harness {
        let sim: PolySimFixture
        let data: PolyMarketData
        let spec: PolySimMarketSpec

        static func start(slug: String = "nfl-buf-2026-01-11") async throws -> Harness {
            let sim = try await PolySimFixture.start()
            let spec = try #require(await sim.market(slug))
            let client = try await sim.client(authenticate: false)
            let data = PolyMarketData(webSocketURL: sim.server.webSocketURL, client: client)
            await data.start()
            return Harness(sim: sim, data: data, spec: spec)
        }

        func stop() async {
            await data.stop()
            await sim.stop()
        }

        /// Whether the local book of `token` is fresh and equal, level for level, to the simulator's.
        func inSync(_ token: String) async -> Bool {
            // Served (which checks the venue's latest hash), then compared level for level with the venue's.
            guard case .fresh = await data.book(token), let local = await data.localBook(token),
                  let truth = await sim.exchange.bookSummary(token: token) else { return false }
            let mine = local.summary(timestamp: truth.timestamp)
            return mine.bids == truth.bids && mine.asks == truth.asks
        }
    }

    @Test("TS-P01 snapshot then 300 random changes: both tokens' local books equal the venue's after each")
    func snapshotThenChanges() async throws {
        let h = try await Harness.start()
        let activity = PolySyntheticActivity(exchange: h.sim.exchange, seed: 7)
        await activity.seedBooks()
        await h.data.subscribe([h.spec.yesToken, h.spec.noToken])
        #expect(await eventually { await h.inSync(h.spec.yesToken) })
        for _ in 0..<300 {
            await activity.step()
            let synced = await eventually {
                let yes = await h.inSync(h.spec.yesToken)
                let no = await h.inSync(h.spec.noToken)
                return yes && no
            }
            #expect(synced)
            if !synced { break }
        }
        let counters = await h.data.counters
        #expect(counters.inconsistencies == 0 && counters.resyncs == 0, "\(counters)")
        // The core's view of a token: its bids as YES bids, its asks as NO bids.
        let served = try #require(await h.data.book(h.spec.yesToken).freshBook)
        let truth = try #require(await h.sim.exchange.bookSummary(token: h.spec.yesToken))
        #expect(served.bestBid(.yes)?.price == truth.bids.last.map { price($0.price) })
        #expect(served.bestAsk(.yes)?.price == truth.asks.last.map { price($0.price) })
        await h.stop()
    }

    @Test("TS-P02 the whole best bid cancelled: the level is gone and the best bid moves down; no phantom liquidity")
    func cancelBestBid() async throws {
        let h = try await Harness.start()
        await h.sim.exchange.quote(h.spec.yesToken, .buy, price: price("0.30"), count: contracts("20"))
        let best = try #require(await h.sim.exchange.quote(h.spec.yesToken, .buy, price: price("0.33"), count: contracts("15")))
        await h.data.subscribe([h.spec.yesToken])
        #expect(await eventually { await h.data.book(h.spec.yesToken).freshBook?.bestBid(.yes)?.price == price("0.33") })
        _ = await h.sim.exchange.cancelSynthetic(best)
        #expect(await eventually { await h.data.book(h.spec.yesToken).freshBook?.bestBid(.yes)?.price == price("0.30") })
        #expect(await h.data.book(h.spec.yesToken).freshBook?.bidSize(.yes, at: price("0.33")) == .zero)
        #expect(await h.data.counters.inconsistencies == 0)
        await h.stop()
    }

    @Test("TS-P03 a missed change: the next one disagrees, the book goes stale at once and a REST snapshot makes it exact again")
    func missedChange() async throws {
        let h = try await Harness.start()
        await h.sim.exchange.quote(h.spec.yesToken, .buy, price: price("0.30"), count: contracts("20"))
        await h.data.subscribe([h.spec.yesToken])
        #expect(await eventually { await h.inSync(h.spec.yesToken) })
        h.sim.server.webSocketFaults.inject(.skipPriceChange)
        await h.sim.exchange.quote(h.spec.yesToken, .buy, price: price("0.25"), count: contracts("10"))  // missed
        await h.sim.exchange.quote(h.spec.yesToken, .sell, price: price("0.40"), count: contracts("10"))  // its hash disagrees
        #expect(await eventually { await h.data.localBook(h.spec.yesToken)?.bestAsk == 400_000 })
        // The best prices agree; the hash does not: the book is not served.
        #expect(await h.data.book(h.spec.yesToken) == .stale)
        #expect(await eventually { await h.data.counters.resyncs >= 1 })
        #expect(await eventually { await h.inSync(h.spec.yesToken) })
        let counters = await h.data.counters
        #expect(counters.inconsistencies >= 1)
        #expect(counters.hashUnverifiable == 0)
        await h.stop()
    }

    @Test("a wrong hash on a change: stale, resynchronised, and hashes stay checked (the venue's own REST hash reproduces)")
    func corruptHash() async throws {
        let h = try await Harness.start()
        await h.data.subscribe([h.spec.yesToken])
        #expect(await eventually { await h.data.isFresh(h.spec.yesToken) })
        h.sim.server.webSocketFaults.inject(.corruptHash)
        await h.sim.exchange.quote(h.spec.yesToken, .buy, price: price("0.31"), count: contracts("12"))
        #expect(await eventually { await h.data.localBook(h.spec.yesToken)?.bestBid == 310_000 })
        #expect(await h.data.book(h.spec.yesToken) == .stale)
        #expect(await eventually { await h.data.counters.resyncs == 1 })
        #expect(await eventually { await h.inSync(h.spec.yesToken) })
        #expect(await h.data.counters.hashUnverifiable == 0)
        await h.stop()
    }

    @Test("a last trade price or tick change after the venue's last stated hash: that hash (which covers both) no longer judges the book; a later hash still does")
    func metadataAfterStatedHash() async throws {
        let h = try await Harness.start()
        let token = "777000", market = "0xfeed"
        var mirror = PolyLocalBook(assetID: token, market: market)
        try mirror.replace(bids: [PolyLevel(price: "0.40", size: "100")], asks: [PolyLevel(price: "0.60", size: "100")])
        let levels = #""bids":[{"price":"0.40","size":"100"}],"asks":[{"price":"0.60","size":"100"}]"#
        let book = #"{"event_type":"book","asset_id":"\#(token)","market":"\#(market)",\#(levels),"timestamp":"1000","hash":"\#(mirror.summary(timestamp: "1000").hash)"}"#
        await h.data.receive(Data(book.utf8))
        for event in [#"{"event_type":"last_trade_price","asset_id":"\#(token)","market":"\#(market)","price":"0.6","side":"BUY","size":"5","timestamp":"1001"}"#,
                      #"{"event_type":"tick_size_change","asset_id":"\#(token)","market":"\#(market)","old_tick_size":"0.01","new_tick_size":"0.001","timestamp":"1002"}"#] {
            await h.data.receive(Data(event.utf8))
            guard case .fresh = await h.data.book(token) else {
                Issue.record("judged by a hash stated before \(event.prefix(40))")
                break
            }
        }
        #expect(await h.data.counters.inconsistencies == 0)
        // A hash stated after them is checked again: a wrong one makes the book stale.
        let change = #"{"market":"\#(market)","price_changes":[{"asset_id":"\#(token)","price":"0.41","size":"10","side":"BUY","hash":"wrong","best_bid":"0.41","best_ask":"0.6"}],"timestamp":"1003","event_type":"price_change"}"#
        await h.data.receive(Data(change.utf8))
        guard case .stale = await h.data.book(token) else {
            Issue.record("a wrong hash stated after the events was not checked")
            return await h.stop()
        }
        #expect(await h.data.counters.inconsistencies == 1)
        await h.stop()
    }

    @Test("TS-P04 the connection drops: books stale at once, the channel reconnects and re-snapshots before they are used")
    func reconnect() async throws {
        let h = try await Harness.start()
        await h.sim.exchange.quote(h.spec.yesToken, .buy, price: price("0.30"), count: contracts("20"))
        await h.data.subscribe([h.spec.yesToken])
        #expect(await eventually { await h.inSync(h.spec.yesToken) })
        let before = await h.data.socket.connections
        h.sim.server.webSocketFaults.inject(.dropConnection)
        await h.sim.exchange.quote(h.spec.yesToken, .buy, price: price("0.29"), count: contracts("5"))
        #expect(await eventually { await h.data.socket.connections > before })
        await h.sim.exchange.quote(h.spec.yesToken, .buy, price: price("0.28"), count: contracts("5"))
        #expect(await eventually { await h.inSync(h.spec.yesToken) })
        await h.stop()
    }

    @Test("TS-P06 a malformed frame is counted; the connection and the next changes carry on")
    func malformedFrame() async throws {
        let h = try await Harness.start()
        await h.data.subscribe([h.spec.yesToken])
        #expect(await eventually { await h.data.isFresh(h.spec.yesToken) })
        h.sim.server.webSocketFaults.inject(.malformedFrame)
        await h.sim.exchange.quote(h.spec.yesToken, .buy, price: price("0.32"), count: contracts("7"))
        #expect(await eventually { await h.data.counters.malformedFrames == 1 })
        #expect(await eventually { await h.inSync(h.spec.yesToken) })
        #expect(await h.data.counters.resyncs == 0)
        await h.stop()
    }

    @Test("the fast reader's word-at-a-time scan: ids of every length up to 40 (ASCII and multi-byte UTF-8) read as the general decoder reads them; an escape or a control character at any offset is declined, never misread")
    func fastReaderScan() throws {
        for length in 0...40 {
            for alphabet in ["0123456789abcdef", "é€x"] {
                let id = String((0..<length).map { Array(alphabet)[$0 % alphabet.count] })
                let frame = #"{"market":"0x\#(id)","price_changes":[{"asset_id":"\#(id)9","price":"0.4","size":"1","side":"SELL","hash":"\#(id)"}],"timestamp":"1","event_type":"price_change"}"#
                let fast = try #require(PolyFastPriceChange.parse(Data(frame.utf8)), "length \(length)")
                #expect(try PolyWSEvent.parse(Data(frame.utf8)) == [.priceChange(fast)], "length \(length)")
                #expect(fast.priceChanges.first?.assetID == id + "9" && fast.market == "0x" + id)
                guard length > 0 else { continue }
                for position in 0..<length {
                    for breaker in [#"\u0041"#, "\t"] {
                        var broken = Array(id)
                        broken.insert(contentsOf: breaker, at: position)
                        let text = #"{"market":"0xm","price_changes":[{"asset_id":"\#(String(broken))","price":"0.4","size":"1","side":"SELL"}],"timestamp":"1","event_type":"price_change"}"#
                        #expect(PolyFastPriceChange.parse(Data(text.utf8)) == nil, "declined at \(position) of \(length)")
                    }
                }
            }
        }
        // The same id read twice comes back as the same string (interned), and a different id of the same length is not confused with it.
        var reader = PolyFastPriceChange()
        let one = #"{"market":"0x1111111111111111","price_changes":[],"timestamp":"1","event_type":"price_change"}"#
        let two = #"{"market":"0x1111111111111112","price_changes":[],"timestamp":"1","event_type":"price_change"}"#
        #expect(reader.parse(Data(one.utf8))?.market == "0x1111111111111111")
        #expect(reader.parse(Data(two.utf8))?.market == "0x1111111111111112")
        #expect(reader.parse(Data(one.utf8))?.market == "0x1111111111111111")
    }

    @Test("the fast price_change reader agrees with the general decoder, and declines what it does not know")
    func fastReader() throws {
        let frame = #"[{"market":"0xabc","price_changes":[{"asset_id":"123","price":".48","size":"30","side":"BUY","hash":"h","best_bid":".48","best_ask":"0.5"}],"timestamp":"1700000000000","event_type":"price_change"}]"#
        let fast = try #require(PolyFastPriceChange.parse(Data(frame.utf8)))
        let general = try PolyWSEvent.parse(Data(frame.utf8))
        #expect(general == [.priceChange(fast)])
        #expect(PolyFastPriceChange.parse(Data(#"{"event_type":"book","asset_id":"1"}"#.utf8)) == nil)
        // Keys in any order, unknown keys that look like known ones skipped.
        let shuffled = #"{"event_type":"price_change","timestamp":"1700000000000","price_changes":[{"best_ask":"0.5","side":"BUY","best_xyz":{"a":[1]},"sizes":"9","hash":"h","size":"30","price":".48","asset_id":"123","best_bid":".48"}],"market":"0xabc"}"#
        #expect(PolyFastPriceChange.parse(Data(shuffled.utf8)) == fast)
        #expect(PolyFastPriceChange.parse(Data(#"{"market":"0x\u0041","price_changes":[],"timestamp":"1","event_type":"price_change"}"#.utf8)) == nil)
        var book = PolyLocalBook(assetID: "123", market: "0xabc")
        try book.apply(fast.priceChanges[0])
        #expect(book.bestBid == 480_000)
        #expect(book.agrees(bestBid: ".48", bestAsk: nil))
        #expect(!book.agrees(bestBid: "0.47", bestAsk: nil))
        #expect(throws: PolyLocalBook.Inconsistent.self) {
            try book.apply(PolyPriceChange(assetID: "123", price: "1.5", size: "1", side: "BUY", hash: nil, bestBid: nil, bestAsk: nil))
        }
    }
}
