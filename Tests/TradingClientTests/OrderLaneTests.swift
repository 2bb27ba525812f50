import ExchangeSim
import ExecutorTesting
import Foundation
import KalshiWire
import Markets
import NIOCore
import NIOHTTP1
import Testing
import VenueTransport
@testable import TradingClient

/// Writes go through the transport's warm order lane; its faults must keep the transport's rule: never
/// sent → `notSent`, maybe applied → ambiguous, and the lane always recovers for the next order.
@Suite("Order lane faults over loopback")
struct OrderLaneTests {
    static func intent(_ id: String = UUID().uuidString) -> OrderIntent {
        OrderIntent(ticker: TradingClientSimTests.ticker, action: .buy, side: .yes, price: price("0.40"), count: contracts("1"),
                    timeInForce: .goodTillCanceled, clientOrderID: id)
    }

    static func expectAmbiguous(_ body: () async throws -> Void) async {
        do {
            try await body()
            Issue.record("expected an ambiguous outcome")
        } catch let error as KalshiAPIError {
            #expect(error.isAmbiguous, "\(error)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test("a connection dropped after the order was applied is ambiguous; the next order goes out on a fresh connection")
    func dropThenRecover() async throws {
        let sim = try await SimFixture.start()
        defer { Task { await sim.stop() } }
        let client = try KalshiTradingClient(transport: sim.transport(), allowsProduction: false)
        await client.warmUp()
        var rule = SimFaultRule()
        rule.dropAfterAccept = 1
        sim.faults.set("POST /portfolio/events/orders", rule)
        let dropped = UUID().uuidString
        await Self.expectAmbiguous { _ = try await client.createOrder(Self.intent(dropped), grid: .linearCent) }
        #expect(try await client.order(clientOrderID: dropped, ticker: TradingClientSimTests.ticker) != nil, "it was applied")
        let next = try await client.createOrder(Self.intent(), grid: .linearCent)
        #expect(next.remainingCount == contracts("1"))
    }

    @Test("no answer within the request timeout is ambiguous, and the lane serves the next order")
    func timeoutThenRecover() async throws {
        let sim = try await SimFixture.start()
        defer { Task { await sim.stop() } }
        // Long enough for the next order's fresh connection on a loaded machine, short against the 30 s stall.
        let transport = sim.transport { $0.requestTimeout = .seconds(3) }
        let client = try KalshiTradingClient(transport: transport, allowsProduction: false)
        var rule = SimFaultRule()
        rule.latency = .seconds(30)
        sim.faults.set("POST /portfolio/events/orders", rule)
        await Self.expectAmbiguous { _ = try await client.createOrder(Self.intent(), grid: .linearCent) }
        sim.faults.clear()
        let next = try await client.createOrder(Self.intent(), grid: .linearCent)
        #expect(next.remainingCount == contracts("1"))
    }

    @Test("orders sent together: some take the lanes, the rest the pool, every one is accepted once")
    func concurrentOrders() async throws {
        let sim = try await SimFixture.start(tier: .prestige)  // the venue's bucket takes the burst, as the client's does
        defer { Task { await sim.stop() } }
        let client = try KalshiTradingClient(transport: sim.transport(tier: .prestige), allowsProduction: false)
        await client.warmUp()
        let ids = (0..<(VenueHTTP.orderLanes * 3)).map { "lane-\($0)" }
        let created = try await withThrowingTaskGroup(of: String.self) { group in
            for id in ids { group.addTask { try await client.createOrder(Self.intent(id), grid: .linearCent).orderID } }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(Set(created).count == ids.count)
        for id in ids { #expect(try await client.order(clientOrderID: id, ticker: TradingClientSimTests.ticker) != nil) }
    }

    @Test("reads go through the read lanes, orders through the order lanes")
    func lanesByKind() async throws {
        let sim = try await SimFixture.start()
        defer { Task { await sim.stop() } }
        let http = VenueHTTP(baseURL: sim.server.baseURL, orderLane: true, connectTimeout: .seconds(5), requestTimeout: .seconds(30)) { _ in }
        defer { Task { try? await http.shutdown() } }
        #expect(http.readLanes.count == VenueHTTP.readLanes && http.lanes.count == VenueHTTP.orderLanes)
        func sent(_ lanes: [OrderLane]) -> Int { lanes.reduce(0) { $0 + $1.requestsSent } }
        let (status, _) = try await http.exchange(method: "GET", target: http.basePath + "/exchange/status", headers: [:], body: nil, isWrite: false)
        #expect(status == 200)
        #expect(sent(http.readLanes) == 1 && sent(http.lanes) == 0)
        let (refused, _) = try await http.exchange(method: "POST", target: http.basePath + "/portfolio/events/orders", headers: [:],
                                                   body: ByteBuffer(string: "{}"), isWrite: true)
        #expect(refused == 401, "unsigned")
        #expect(sent(http.readLanes) == 1 && sent(http.lanes) == 1)
    }

    @Test("reads: a connection dropped under a read is retried on a fresh one; concurrent reads (more than the read lanes) are all answered")
    func readsRetried() async throws {
        let sim = try await SimFixture.start()
        defer { Task { await sim.stop() } }
        let client = try KalshiTradingClient(transport: sim.transport(tier: .prestige), allowsProduction: false)
        let first = try await client.balance().balance
        var rule = SimFaultRule()
        rule.dropAfterAccept = 1
        sim.faults.set("GET /portfolio/balance", rule)
        #expect(try await client.balance().balance == first, "retried after the drop")
        sim.faults.clear()
        let answers = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<12 { group.addTask { try await client.balance().balance == first } }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(answers.count == 12 && answers.allSatisfy { $0 })
    }

    @Test("a caller preferring the client's loop executor runs on the lanes' event loop, and its reads and orders complete there")
    func onTheLoop() async throws {
        let sim = try await SimFixture.start()
        defer { Task { await sim.stop() } }
        let client = try KalshiTradingClient(transport: sim.transport(), allowsProduction: false)
        let executor = try #require(client.loopExecutor as? LoopExecutor)
        try await withTaskExecutorPreference(executor) {
            #expect(executor.loop.inEventLoop)
            _ = try await client.balance()
            #expect(executor.loop.inEventLoop, "resumed on the loop by the answer")
            let order = try await client.createOrder(Self.intent(), grid: .linearCent)
            #expect(order.remainingCount == contracts("1"))
            #expect(executor.loop.inEventLoop)
        }
    }

    @Test("an answer longer than the lane's limit fails its request and closes the connection; the next request gets a fresh one")
    func bodyLimit() async throws {
        let sim = try await SimFixture.start()
        defer { Task { await sim.stop() } }
        let lane = try OrderLane(host: "127.0.0.1", port: sim.server.port, useTLS: false, connectTimeout: .seconds(5), maxBodyBytes: 64)
        defer { lane.close() }
        func get(_ path: String) async throws(OrderLane.Failure) -> OrderLane.Answer? {
            var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: sim.server.baseURL.path + path)
            head.headers.add(name: "Host", value: "127.0.0.1:\(sim.server.port)")
            head.headers.add(name: "Content-Length", value: "0")
            return try await lane.send(head, body: nil, timeout: .seconds(60), gated: true)
        }
        do {
            _ = try await get("/markets?limit=1")
            Issue.record("a long answer was accepted")
        } catch {
            guard case let .lost(reason) = error else { Issue.record("\(error)"); return }
            #expect(reason.contains("longer than 64 bytes"), "\(reason)")
        }
        let status = try #require(try await get("/exchange/status"))
        #expect(status.status == 200 && status.body.readableBytes <= 64)
    }

    @Test("with the venue gone the order is not sent (never ambiguous)")
    func venueDown() async throws {
        let sim = try await SimFixture.start()
        let client = try KalshiTradingClient(transport: sim.transport(), allowsProduction: false)
        // Not warmed: a request written on a kept-alive connection the venue is closing at that moment is
        // rightly ambiguous (it may have arrived); with no connection the refused connect is definitive.
        await sim.stop()
        do {
            _ = try await client.createOrder(Self.intent(), grid: .linearCent)
            Issue.record("an order to a stopped venue succeeded")
        } catch let error as KalshiAPIError {
            guard case .notSent = error.kind else { Issue.record("expected notSent, got \(error)"); return }
        }
    }
}
