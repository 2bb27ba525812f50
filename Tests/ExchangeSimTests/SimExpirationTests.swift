import Foundation
import KalshiWire
import Markets
import Synchronization
import Testing
@testable import ExchangeSim

@Suite("Kalshi simulator: order expiration and order ids")
struct SimExpirationTests {
    final class Clock: Sendable {
        let ms = Atomic<Int64>(1_767_000_000_000)
    }

    /// An exchange whose time is `clock`'s.
    static func exchange(_ clock: Clock) -> SimExchange {
        var configuration = SimExchange.Configuration()
        configuration.now = { clock.ms.load(ordering: .relaxed) }
        return SimExchange(configuration: configuration)
    }

    static func request(_ id: String, expiration: Int64? = nil, price: Int64 = 100_000) -> CreateOrderV2Request {
        CreateOrderV2Request(ticker: SimCatalog.standard()[0].ticker, clientOrderID: id, side: .bid, count: Contracts(hundredths: 1_000),
                             price: Price(micros: price)!, timeInForce: .goodTillCanceled, expirationTime: expiration)
    }

    @Test("a GTC order with an expiration rests until then and is cancelled at the first request after it, its collateral released; one without stays")
    func expires() async throws {
        let clock = Clock()
        let exchange = Self.exchange(clock)
        let start = clock.ms.load(ordering: .relaxed) / 1_000
        let expiring = try await exchange.createOrder(account: "a", Self.request("e-1", expiration: start + 60)).get()
        let lasting = try await exchange.createOrder(account: "a", Self.request("l-1")).get()
        #expect(try await exchange.order(account: "a", orderID: expiring.orderID).get().order.status == .resting)

        clock.ms.add(59_000, ordering: .relaxed)
        _ = try await exchange.createOrder(account: "a", Self.request("n-1")).get()
        #expect(try await exchange.order(account: "a", orderID: expiring.orderID).get().order.status == .resting, "not yet expired")

        clock.ms.add(2_000, ordering: .relaxed)
        let before = await exchange.accountSnapshot("a").available
        _ = try await exchange.createOrder(account: "a", Self.request("n-2")).get()
        // n-2 holds what e-1 released (same size and price).
        #expect(await exchange.accountSnapshot("a").available == before)
        #expect(try await exchange.order(account: "a", orderID: expiring.orderID).get().order.status == .canceled)
        #expect(try await exchange.order(account: "a", orderID: lasting.orderID).get().order.status == .resting)
        // A client order id is still taken once used, expired or not.
        guard case let .failure(error) = await exchange.createOrder(account: "a", Self.request("e-1")) else {
            Issue.record("a reused client order id was accepted")
            return
        }
        #expect(error.code == "order_already_exists")
    }

    @Test("stale_ms: GET /portfolio/fills leaves out fills made within the lag (the order already counts them), and shows them once it has passed")
    func staleFills() async throws {
        let clock = Clock()
        let exchange = Self.exchange(clock)
        var ask = Self.request("mm-ask", price: 400_000)
        ask.side = .ask
        _ = try await exchange.createOrder(account: "mm", ask).get()
        let taker = try await exchange.createOrder(account: "a", Self.request("take", price: 400_000)).get()
        let lag = Duration.milliseconds(1_500)
        func shown() async throws -> Int {
            try await exchange.fills(account: "a", ticker: nil, orderID: taker.orderID, cursor: nil, limit: 100, staleness: lag).get().fills.count
        }
        #expect(try await exchange.order(account: "a", orderID: taker.orderID).get().order.fillCountFP == Contracts(hundredths: 1_000))
        #expect(try await shown() == 0, "made just now: not shown yet")
        #expect(try await exchange.fills(account: "a", ticker: nil, orderID: taker.orderID, cursor: nil, limit: 100).get().fills.count == 1,
                "without the fault the fill is there at once")
        clock.ms.add(1_499, ordering: .relaxed)
        #expect(try await shown() == 0)
        clock.ms.add(1, ordering: .relaxed)
        #expect(try await shown() == 1, "shown once the lag has passed")
    }
}
