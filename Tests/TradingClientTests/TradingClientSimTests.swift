import ExchangeSim
import ExecutorTesting
import Foundation
import KalshiWire
import Markets
import Synchronization
import Testing
@testable import TradingClient

/// The trading client against the simulator over real sockets on 127.0.0.1.
@Suite("TradingClient ⇄ simulator over loopback")
struct TradingClientSimTests {
    static let ticker = "KXNFL-26JAN11-BUF"

    static func client(_ sim: SimFixture, _ credentials: KalshiCredentials? = nil) throws -> KalshiTradingClient {
        try KalshiTradingClient(transport: sim.transport(credentials), allowsProduction: false)
    }

    static func intent(_ action: OrderAction, _ side: OutcomeSide, _ p: String, _ count: String, tif: TimeInForce = .goodTillCanceled,
                       id: String = UUID().uuidString, ticker: String = ticker) -> OrderIntent {
        OrderIntent(ticker: ticker, action: action, side: side, price: price(p), count: contracts(count), timeInForce: tif, clientOrderID: id)
    }

    @Test("orders go out with presigned headers, and a presigned stock gone stale is never sent (the order signs inline)")
    func presignedOrders() async throws {
        let sim = try await SimFixture.start()
        defer { Task { await sim.stop() } }
        let offset = Mutex<Int64>(-60_000)
        let transport = sim.transport { configuration in
            configuration.wallClockMilliseconds = { Int64(Date().timeIntervalSince1970 * 1_000) + offset.withLock { $0 } }
        }
        let me = try KalshiTradingClient(transport: transport, allowsProduction: false)
        // A stock signed with a clock 60 s behind (outside the simulator's 30 s window), then the clock is right.
        await me.warmUp()
        offset.withLock { $0 = 0 }
        let late = try await me.createOrder(Self.intent(.buy, .yes, "0.40", "1"), grid: .linearCent)
        #expect(late.remainingCount == contracts("1"))
        for _ in 0..<5 {
            _ = try await me.createOrder(Self.intent(.buy, .yes, "0.40", "1"), grid: .linearCent)
        }
        try await transport.shutdown()
    }

    @Test("an order rests, a counterparty crosses it, fills and positions agree on both sides")
    func roundTrip() async throws {
        let sim = try await SimFixture.start()
        defer { Task { await sim.stop() } }
        let me = try Self.client(sim)
        let other = try Self.client(sim, sim.counterparty)

        let resting = try await me.createOrder(Self.intent(.buy, .yes, "0.40", "10"), grid: .linearCent)
        #expect(resting.fillCount == .zero)
        #expect(resting.remainingCount == contracts("10"))
        let taker = try await other.createOrder(Self.intent(.sell, .yes, "0.38", "4", tif: .immediateOrCancel), grid: .linearCent)
        #expect(taker.fillCount == contracts("4"))
        #expect(taker.averageFillPrice == price("0.40").dollars, "trades at the maker's price")
        #expect(taker.remainingCount == .zero)

        let order = try await me.order(resting.orderID)
        #expect(order.status == .resting)
        #expect(order.fillCountFP == contracts("4"))
        #expect(order.remainingCountFP == contracts("6"))
        let fills = try await me.fills(orderID: resting.orderID).collect()
        #expect(fills.count == 1)
        #expect(fills.first?.isTaker == false)
        #expect(fills.first?.yesPriceDollars == price("0.40").dollars)
        let takerFills = try await other.fills().collect()
        #expect(takerFills.first?.feeCost == KalshiFees.estimate(rate: .kalshiTaker, count: contracts("4"), price: price("0.40")))

        let mine = try await me.positions().collect()
        #expect(mine.first { $0.ticker == Self.ticker }?.positionFP == contracts("4"))
        let theirs = try await other.positions().collect()
        #expect(theirs.first { $0.ticker == Self.ticker }?.positionFP == contracts("-4"), "selling YES without a position buys NO")

        let cancel = try await me.cancelOrder(resting.orderID, marketTicker: Self.ticker)
        #expect(cancel.reducedBy == contracts("6"))
        #expect(try await me.order(resting.orderID).status == .canceled)
    }

    @Test("buy-no and sell-no reach the wire as the correct book side and YES price", arguments: [
        (OrderAction.buy, OutcomeSide.no, "0.53", BookSide.ask, "0.47"),
        (.sell, .no, "0.53", .bid, "0.47"),
        (.buy, .yes, "0.33", .bid, "0.33"),
        (.sell, .yes, "0.67", .ask, "0.67"),
    ])
    func directionOnTheWire(action: OrderAction, side: OutcomeSide, limit: String, book: BookSide, yes: String) async throws {
        let sim = try await SimFixture.start()
        defer { Task { await sim.stop() } }
        let me = try Self.client(sim)
        let created = try await me.createOrder(Self.intent(action, side, limit, "2"), grid: .linearCent)
        let order = try await me.order(created.orderID)
        #expect(order.bookSide == book)
        #expect(order.yesPriceDollars == price(yes).dollars)
        #expect(order.outcomeSide == (book == .bid ? .yes : .no))
    }

    @Test("TS-09 definitive rejections carry the venue's code: duplicate, invalid order, balance too low")
    func definitiveRejections() async throws {
        var configuration = SimExchange.Configuration()
        configuration.startingBalance = Dollars(micros: 5_000_000)  // $5
        let sim = try await SimFixture.start(configuration)
        defer { Task { await sim.stop() } }
        let me = try Self.client(sim)

        _ = try await me.createOrder(Self.intent(.buy, .yes, "0.10", "1", id: "dup-1"), grid: .linearCent)
        await #expect(throws: KalshiAPIError(.rejected(status: 409, code: "order_already_exists", message: "an order with this client_order_id already exists", details: "dup-1"), method: "POST", path: "/portfolio/events/orders")) {
            _ = try await me.createOrder(Self.intent(.buy, .yes, "0.10", "1", id: "dup-1"), grid: .linearCent)
        }
        do {
            _ = try await me.createOrder(Self.intent(.buy, .yes, "0.50", "100"), grid: .linearCent)
            Issue.record("a $50 order on a $5 account was accepted")
        } catch let error as KalshiAPIError {
            #expect(error.code == "available_balance_too_low")
        }
        // An off-grid price sent raw (bypassing the client's own refusal) is refused by the venue.
        let raw = CreateOrderV2Request(ticker: Self.ticker, clientOrderID: "raw-1", side: .bid, count: contracts("1"),
                                       price: price("0.105"), timeInForce: .goodTillCanceled)
        let body = try KalshiJSON.encoder().encode(raw)
        do {
            _ = try await sim.transport().send(KalshiRequest(.post, "/portfolio/events/orders", body: body), as: CreateOrderV2Response.self)
            Issue.record("off-grid accepted")
        } catch {
            #expect(error.code == "invalid_order")
            #expect(!error.isAmbiguous)
        }
    }

    @Test("TS-07 accepted then dropped: ambiguous, resolved by client_order_id, never sent twice")
    func ambiguousDrop() async throws {
        let sim = try await SimFixture.start()
        defer { Task { await sim.stop() } }
        let me = try Self.client(sim)
        var rule = SimFaultRule()
        rule.dropAfterAccept = 1
        sim.faults.set("POST /portfolio/events/orders", rule)

        let intent = Self.intent(.buy, .yes, "0.30", "3", id: "amb-1")
        do {
            _ = try await me.createOrder(intent, grid: .linearCent)
            Issue.record("a dropped connection looked like success")
        } catch let error as KalshiAPIError {
            #expect(error.isAmbiguous, "\(error)")
        }
        let found = try await me.order(clientOrderID: "amb-1", ticker: Self.ticker)
        #expect(found?.remainingCountFP == contracts("3"))
        // Re-sending with the same client_order_id cannot create a second order.
        do {
            _ = try await me.createOrder(intent, grid: .linearCent)
            Issue.record("duplicate accepted")
        } catch let error as KalshiAPIError {
            #expect(error.code == "order_already_exists")
        }
        #expect(try await me.orders(OrderFilter(ticker: Self.ticker)).collect().count == 1)
    }

    @Test("TS-08 5xx after a write is ambiguous, never a rejection; reads retry 5xx and recover")
    func serverErrors() async throws {
        let sim = try await SimFixture.start()
        defer { Task { await sim.stop() } }
        let me = try Self.client(sim)
        var rule = SimFaultRule()
        rule.serverErrorRate = 1
        rule.serverErrorAfterApplying = true
        sim.faults.set("POST /portfolio/events/orders", rule)
        do {
            _ = try await me.createOrder(Self.intent(.buy, .yes, "0.30", "1", id: "five-1"), grid: .linearCent)
            Issue.record("500 looked like success")
        } catch let error as KalshiAPIError {
            #expect(error.isAmbiguous)
        }
        #expect(try await me.order(clientOrderID: "five-1", ticker: Self.ticker) != nil, "it was applied")

        var flaky = SimFaultRule()
        flaky.unavailable = 2
        sim.faults.set("GET /portfolio/balance", flaky)
        #expect(try await me.balance().balanceDollars.micros > 0, "two 503s then success")

        var down = SimFaultRule()
        down.unavailable = 100
        sim.faults.set("GET /portfolio/balance", down)
        await #expect(throws: KalshiAPIError(.unavailable(status: 503, reason: "HTTP 503"), method: "GET", path: "/portfolio/balance")) {
            _ = try await me.balance()
        }
    }

    @Test("TS-10 429 on submit surfaces as rate-limited and nothing was placed; reads back off and retry")
    func rateLimited() async throws {
        let sim = try await SimFixture.start()
        defer { Task { await sim.stop() } }
        let me = try Self.client(sim)
        var rule = SimFaultRule()
        rule.rateLimitBurst = 1
        sim.faults.set("POST /portfolio/events/orders", rule)
        await #expect(throws: KalshiAPIError(.rateLimited, method: "POST", path: "/portfolio/events/orders")) {
            _ = try await me.createOrder(Self.intent(.buy, .yes, "0.30", "1", id: "rl-1"), grid: .linearCent)
        }
        #expect(try await me.order(clientOrderID: "rl-1", ticker: Self.ticker) == nil)
        var reads = SimFaultRule()
        reads.rateLimitBurst = 3
        sim.faults.set("GET /portfolio/orders", reads)
        #expect(try await me.orders().collect().isEmpty)
    }

    @Test("an undecodable success body on a write is ambiguous; a refused connection is not-sent")
    func malformedAndNotSent() async throws {
        let sim = try await SimFixture.start()
        let me = try Self.client(sim)
        var rule = SimFaultRule()
        rule.malformedBody = 1
        sim.faults.set("POST /portfolio/events/orders", rule)
        do {
            _ = try await me.createOrder(Self.intent(.buy, .yes, "0.30", "1"), grid: .linearCent)
            Issue.record("garbage looked like success")
        } catch let error as KalshiAPIError {
            #expect(error.isAmbiguous)
        }
        await sim.stop()
        // A new client: nothing pooled, so the connection itself is refused.
        let fresh = try Self.client(sim)
        do {
            _ = try await fresh.createOrder(Self.intent(.buy, .yes, "0.30", "1"), grid: .linearCent)
            Issue.record("no server, yet success")
        } catch let error as KalshiAPIError {
            guard case .notSent = error.kind else {
                Issue.record("expected notSent, got \(error)")
                return
            }
        }
    }

    @Test("a burst of 50 orders stays under the Basic write budget: no 429")
    func burstUnderBudget() async throws {
        let sim = try await SimFixture.start()
        defer { Task { await sim.stop() } }
        let me = try Self.client(sim)
        let results = await withTaskGroup(of: Result<CreateOrderV2Response, any Error>.self) { group in
            for index in 0..<50 {
                group.addTask {
                    do {
                        return .success(try await me.createOrder(Self.intent(.buy, .yes, "0.05", "1", id: "burst-\(index)"), grid: .linearCent))
                    } catch { return .failure(error) }
                }
            }
            var all: [Result<CreateOrderV2Response, any Error>] = []
            for await result in group { all.append(result) }
            return all
        }
        let failures = results.compactMap { if case let .failure(error) = $0 { return "\(error)" } else { return nil } }
        #expect(failures.isEmpty, "\(failures.prefix(3))")
        #expect(try await me.orders(OrderFilter(ticker: Self.ticker)).collect().count == 50)
    }

    @Test("amend, decrease, batch create and cancel, cancel-all, limits")
    func orderManagement() async throws {
        let sim = try await SimFixture.start()
        defer { Task { await sim.stop() } }
        let me = try Self.client(sim)
        let intent = Self.intent(.buy, .yes, "0.20", "10", id: "m-1")
        let created = try await me.createOrder(intent, grid: .linearCent)
        let amended = try await me.amend(created.orderID, intent: intent, totalCount: contracts("8"), grid: .linearCent)
        #expect(amended.remainingCount == contracts("8"))
        await #expect(throws: OrderRefusal.self) {
            var offGrid = intent
            offGrid.price = price("0.205")
            _ = try await me.amend(created.orderID, intent: offGrid, totalCount: contracts("8"), grid: .linearCent)
        }
        let decreased = try await me.decrease(created.orderID, by: contracts("3"), marketTicker: Self.ticker)
        #expect(decreased.remainingCount == contracts("5"))

        let batch = try await me.batchCreate([
            (Self.intent(.buy, .yes, "0.11", "1", id: "b-1"), .linearCent),
            (Self.intent(.buy, .no, "0.11", "1", id: "b-2"), .linearCent),
            (Self.intent(.buy, .yes, "0.12", "1", id: "m-1"), .linearCent),  // duplicate id: per-item error
        ])
        #expect(batch.orders.count == 3)
        #expect(batch.orders[2].error?.code == "order_already_exists")
        let ids = batch.orders.compactMap(\.orderID)
        let cancelled = try await me.batchCancel(ids.map { BatchCancelOrderV2Item(orderID: $0, marketTicker: Self.ticker) })
        #expect(cancelled.orders.allSatisfy { $0.error == nil })
        try await me.cancelAll()
        #expect(try await me.orders(OrderFilter(ticker: Self.ticker, status: .resting)).collect().isEmpty)
        let limits = try await me.accountLimits()
        #expect(limits.write.refillRate == 100)
    }

    @Test("pagination walks every page of orders")
    func pagination() async throws {
        let sim = try await SimFixture.start()
        defer { Task { await sim.stop() } }
        let me = try Self.client(sim)
        for index in 0..<7 { _ = try await me.createOrder(Self.intent(.buy, .yes, "0.0\(index + 1)", "1"), grid: .linearCent) }
        var filter = OrderFilter(ticker: Self.ticker)
        filter.limit = 3
        let all = try await me.orders(filter).collect()
        #expect(all.count == 7)
        #expect(Set(all.map(\.orderID)).count == 7)
    }

    @Test("TS-17 a production URL is refused in paper mode before any request")
    func productionRefused() {
        for host in [KalshiHosts.productionAPI, "https://api.elections.kalshi.com/trade-api/v2"] {
            let transport = KalshiTransport(KalshiTransport.Configuration(baseURL: URL(string: host)!, credentials: nil))
            #expect(throws: TradingClientError.self) { try KalshiTradingClient(transport: transport, allowsProduction: false) }
            Task { try? await transport.shutdown() }
        }
    }
}
