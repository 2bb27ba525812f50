import ExchangeSim
import ExecutorTesting
import Foundation
import KalshiWire
import Markets
import Testing
import TradingClient
@testable import Execution

/// Fills heard twice — on the private WebSocket channel and from REST — move an order once.
@Suite("Private channels and REST fills")
struct FillSourcesTests {
    static func executionFill(id: String, count: Contracts, yesPrice: Dollars, fee: Dollars, isTaker: Bool) -> ExecutionFill? {
        guard let price = Price(yesPrice) else { return nil }
        return ExecutionFill(fillID: id, count: count, price: price, fee: fee, role: isTaker ? .taker : .maker, timestampNanoseconds: 0)
    }

    @Test("TS-15 the same fill from the WebSocket and from REST is applied once; user_orders and positions arrive")
    func fillOnce() async throws {
        let sim = try await SimFixture.start()
        defer { Task { await sim.stop() } }
        let ticker = "KXNFL-26JAN11-BUF"
        let account = AccountStream(socket: sim.webSocket())
        let collected = Task {
            var fills: [WSFill] = []
            var orders: [WSUserOrder] = []
            var positions: [WSMarketPosition] = []
            for await event in account.events {
                switch event {
                case let .fill(fill): fills.append(fill)
                case let .order(order): orders.append(order)
                case let .position(position): positions.append(position)
                case .connection: continue
                }
                if !fills.isEmpty, orders.contains(where: { $0.status == .executed }), !positions.isEmpty { break }
            }
            return (fills, orders, positions)
        }
        try await account.start()

        let trading = try KalshiTradingClient(transport: sim.transport(), allowsProduction: false)
        _ = await sim.exchange.createOrder(account: "mm", CreateOrderV2Request(ticker: ticker, clientOrderID: "maker", side: .ask, count: contracts("6"), price: price("0.45"), timeInForce: .goodTillCanceled))
        let intent = OrderIntent(ticker: ticker, action: .buy, side: .yes, price: price("0.45"), count: contracts("6"), timeInForce: .immediateOrCancel, clientOrderID: "mine-1")
        var order = OrderLifecycle(clientOrderID: intent.clientOrderID, requested: intent.count)
        try order.markSubmitted()
        let response = try await trading.createOrder(intent, grid: .linearCent)
        try order.acknowledge(venueOrderID: response.orderID)

        // Bounded: events missed (a reconnect on a starved machine) fail the test instead of holding the suite.
        let limit = Task {
            try? await Task.sleep(for: .seconds(60))
            collected.cancel()
        }
        let (wsFills, orders, positions) = await collected.value
        limit.cancel()
        let restFills = try await trading.fills(orderID: response.orderID).collect()
        #expect(wsFills.count == 1 && restFills.count == 1)
        #expect(wsFills.first?.tradeID == restFills.first?.fillID, "the WebSocket trade_id is the REST fill_id")
        #expect(wsFills.first?.clientOrderID == "mine-1")
        #expect(wsFills.first?.postPositionFP == contracts("6"))

        for fill in wsFills {
            let applied = try #require(Self.executionFill(id: fill.tradeID, count: fill.countFP, yesPrice: fill.yesPriceDollars, fee: fill.feeCost, isTaker: fill.isTaker))
            #expect(try order.apply(applied) == .applied)
        }
        for fill in restFills {
            let again = try #require(Self.executionFill(id: fill.fillID, count: fill.countFP, yesPrice: fill.yesPriceDollars, fee: fill.feeCost, isTaker: fill.isTaker))
            #expect(try order.apply(again) == .duplicate)
        }
        #expect(order.filled == contracts("6"))
        #expect(order.state == .filled)
        #expect(orders.last?.status == .executed)
        #expect(positions.last?.positionFP == contracts("6"))
        await account.stop()
        try await trading.shutdown()
    }
}
