import ExchangeSim
import ExecutorTesting
import Foundation
import KalshiWire
import Markets
import Testing
@testable import DataClient

@Suite("DataClient ⇄ simulator over loopback")
struct DataClientSimTests {
    static let ticker = "KXNFL-26JAN11-BUF"

    static func order(_ sim: SimFixture, _ account: String, _ side: BookSide, _ p: String, _ count: String, tif: TimeInForce = .goodTillCanceled) async {
        _ = await sim.exchange.createOrder(account: account, CreateOrderV2Request(
            ticker: ticker, clientOrderID: UUID().uuidString, side: side, count: contracts(count), price: price(p), timeInForce: tif))
    }

    @Test("markets: pagination across pages, filters, single market, 404 with the venue's code")
    func markets() async throws {
        let sim = try await SimFixture.start()
        defer { Task { await sim.stop() } }
        let data = KalshiDataClient(transport: sim.transport())
        var filter = MarketFilter(status: .open)
        filter.limit = 3
        let all = try await data.markets(filter).collect()
        #expect(all.map(\.ticker) == SimCatalog.standard().map(\.ticker), "every page, in order")
        var byEvent = MarketFilter()
        byEvent.eventTicker = "KXHIGHNY-26JAN11"
        #expect(try await data.markets(byEvent).collect().count == 3)
        let btc = try await data.market("KXBTC-26JAN11-B100K")
        #expect(btc.exchangeIndex == 2)
        #expect(try btc.priceGrid() == .deciCent)
        do {
            _ = try await data.market("NOPE")
            Issue.record("found a market that does not exist")
        } catch {
            #expect(error.code == "market_not_found")
        }
    }

    @Test("orderbook from orderbook_fp: bids only, implied asks, depth; several books at once")
    func orderbook() async throws {
        let sim = try await SimFixture.start()
        defer { Task { await sim.stop() } }
        await Self.order(sim, "mm", .bid, "0.40", "10")
        await Self.order(sim, "mm", .bid, "0.41", "5")
        await Self.order(sim, "mm", .ask, "0.45", "7")
        let data = KalshiDataClient(transport: sim.transport())
        let book = try await data.orderbook(Self.ticker)
        #expect(book.bestBid(.yes) == BookLevel(price: price("0.41"), size: contracts("5")))
        #expect(book.bestBid(.no) == BookLevel(price: price("0.55"), size: contracts("7")))
        #expect(book.bestAsk(.yes) == BookLevel(price: price("0.45"), size: contracts("7")))
        #expect(book.bestAsk(.no) == BookLevel(price: price("0.59"), size: contracts("5")))
        #expect(try await data.orderbook(Self.ticker, depth: 1).yesBids.count == 1)
        let books = try await data.orderbooks([Self.ticker, "KXNFL-26JAN11-KC"])
        #expect(books.map(\.ticker) == [Self.ticker, "KXNFL-26JAN11-KC"])
        #expect(books[0] == book)
    }

    @Test("trades, events, exchange status; public reads work without credentials")
    func publicData() async throws {
        let sim = try await SimFixture.start()
        defer { Task { await sim.stop() } }
        await Self.order(sim, "mm", .bid, "0.40", "10")
        await Self.order(sim, "taker", .ask, "0.40", "4", tif: .immediateOrCancel)
        let anonymous = KalshiDataClient(transport: sim.transport(anonymous: true))
        let trades = try await anonymous.trades(ticker: Self.ticker).collect()
        #expect(trades.count == 1)
        #expect(trades.first?.takerBookSide == .ask)
        #expect(trades.first?.yesPriceDollars == price("0.40").dollars)
        let events = try await anonymous.events(withNestedMarkets: true).collect()
        #expect(events.count == 3)
        #expect(events.first?.markets?.count == 4)
        let event = try await anonymous.event("KXHIGHNY-26JAN11")
        #expect(event.event.markets?.count == 3)
        #expect(try await anonymous.exchangeStatus().tradingActive)
        let series = try await anonymous.series("KXBTC")
        #expect(series.feeType == "quadratic")
        #expect(series.exchangeIndex == 2)
    }

    @Test("authentication: an unknown key and a stale timestamp are 401 with Kalshi's error body")
    func authentication() async throws {
        let sim = try await SimFixture.start(timestampWindow: .seconds(5))
        defer { Task { await sim.stop() } }
        let stranger = KalshiCredentials(keyID: KalshiKeyID("stranger-1")!, privateKey: sim.credentials.privateKey)
        do {
            _ = try await KalshiDataClient(transport: sim.transport(stranger)).exchangeStatus()
            Issue.record("unknown key accepted")
        } catch {
            #expect(error.code == "unauthorized")
            guard case .rejected(status: 401, _, _, _) = error.kind else { Issue.record("\(error)"); return }
        }
        let stale = sim.transport { $0.wallClockMilliseconds = { Int64(Date().timeIntervalSince1970 * 1_000) - 60_000 } }
        do {
            _ = try await KalshiDataClient(transport: stale).exchangeStatus()
            Issue.record("stale timestamp accepted")
        } catch {
            #expect(error.code == "unauthorized")
        }
    }

    @Test("a malformed response body on a read is an invalid-response error naming the field")
    func malformedRead() async throws {
        let sim = try await SimFixture.start()
        defer { Task { await sim.stop() } }
        var rule = SimFaultRule()
        // Every attempt garbled: a first attempt lost on a loaded machine (a read is retried) must not let a
        // clean answer through.
        rule.malformedBody = 1_000
        sim.faults.set("GET /markets/{ticker}", rule)
        do {
            _ = try await KalshiDataClient(transport: sim.transport()).market(Self.ticker)
            Issue.record("garbage decoded")
        } catch {
            guard case .invalidResponse = error.kind else { Issue.record("\(error)"); return }
        }
    }
}
