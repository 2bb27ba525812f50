import ExchangeSim
import ExecutorTesting
import Foundation
import Markets
import PolymarketClient
import PolymarketWire
import Testing

/// The Polymarket client against the Polymarket simulator over loopback: authentication, books, orders,
/// refusals in the venue's words, heartbeats.
@Suite("Polymarket client ⇄ simulator over loopback")
struct PolyClientSimTests {
    static let slug = "nfl-buf-2026-01-11"

    @Test("L1 creates the API key, then derives the same one; L2 reads the balance; a wrong secret or a stale timestamp is 401")
    func authentication() async throws {
        let sim = try await PolySimFixture.start()
        defer { Task { await sim.stop() } }
        let client = try await sim.client()
        let first = try #require(client.transport.apiCredentials)
        let again = try await client.createOrDeriveAPIKey()
        #expect(again == first)
        #expect(try await client.collateralBalance(signatureType: .eoa) == 100_000 * 1_000_000)

        let forged = try await sim.client(authenticate: false)
        forged.transport.setCredentials(PolyAPICredentials(apiKey: first.apiKey, secret: "c2VjcmV0LXRoYXQtaXMtd3Jvbmc=", passphrase: first.passphrase))
        await #expect(throws: PolyAPIError(.rejected(status: 401, message: "Unauthorized/Invalid api key"), method: "GET", path: "/balance-allowance")) {
            _ = try await forged.collateralBalance(signatureType: .eoa)
        }
        let stale = try await sim.client(authenticate: false) { $0.wallClockSeconds = { Int64(Date().timeIntervalSince1970) - 3_600 } }
        stale.transport.setCredentials(first)
        await #expect(throws: PolyAPIError(.rejected(status: 401, message: "Unauthorized/Invalid api key"), method: "GET", path: "/balance-allowance")) {
            _ = try await stale.collateralBalance(signatureType: .eoa)
        }
        // Syncing with the server's clock repairs the skew.
        try await stale.syncClock()
        #expect(try await stale.collateralBalance(signatureType: .eoa) > 0)
    }

    @Test("Gamma answers for several tokens in one request; a resolved market's tokens at 1 (the winner) and 0, an open market's none")
    func resolvedPricesTogether() async throws {
        let sim = try await PolySimFixture.start()
        defer { Task { await sim.stop() } }
        let markets = await sim.exchange.markets
        #expect(markets.count >= 2)
        let (resolved, open) = (markets[0], markets[1])
        await sim.exchange.resolve(condition: resolved.conditionID, winner: .no)
        let listed = try await sim.gamma().markets(tokenIDs: [resolved.yesToken, open.noToken, resolved.noToken])
        #expect(Set(listed.map(\.conditionId)) == [resolved.conditionID, open.conditionID])
        let prices = Dictionary(uniqueKeysWithValues: listed.flatMap(\.resolvedPrices).map { ($0.token, $0.micros) })
        #expect(prices == [resolved.yesToken: 0, resolved.noToken: 1_000_000], "\(prices)")
    }

    @Test("GET /book reproduces its own hash; tick, neg-risk and fee rate per token; Gamma lists both tokens by outcome")
    func marketParameters() async throws {
        let sim = try await PolySimFixture.start()
        defer { Task { await sim.stop() } }
        let spec = try #require(await sim.market(Self.slug))
        await sim.exchange.quote(spec.yesToken, .buy, price: price("0.34"), count: contracts("100"))
        await sim.exchange.quote(spec.yesToken, .sell, price: price("0.36"), count: contracts("40"))
        let client = try await sim.client(authenticate: false)
        let book = try await client.book(spec.yesToken)
        #expect(book.hash == book.computedHash)
        #expect(book.bids.last == PolyLevel(price: "0.34", size: "100"))
        #expect(book.asks.last == PolyLevel(price: "0.36", size: "40"))
        // The NO token's book mirrors the YES book.
        let no = try await client.book(spec.noToken)
        #expect(no.bids.last == PolyLevel(price: "0.64", size: "40"))
        #expect(no.asks.last == PolyLevel(price: "0.66", size: "100"))
        #expect(try await client.tickSize(spec.yesToken) == .cent)
        let negRisk = try #require(await sim.exchange.markets.first { $0.negRisk })
        #expect(try await client.negRisk(negRisk.yesToken))
        let fees = try #require(await sim.exchange.markets.first { $0.feeRateBps > 0 })
        #expect(try await client.feeRate(fees.noToken) == fees.feeRateBps)
        let gamma = sim.gamma()
        let listed = try #require(try await gamma.markets(tokenIDs: [spec.noToken]).first)
        #expect(listed.tokensByOutcome == ["yes": spec.yesToken, "no": spec.noToken])
        #expect(listed.conditionId == spec.conditionID)
        try await gamma.shutdown()
    }

    @Test("refusals before signing and on the venue are in Polymarket's words: tick, minimum size, balance, FOK, FAK")
    func refusals() async throws {
        let sim = try await PolySimFixture.start()
        defer { Task { await sim.stop() } }
        let spec = try #require(await sim.market(Self.slug))
        let client = try await sim.client()
        let builder = try PolyOrderBuilder(signer: sim.signer)
        let market = PolyOrderBuilder.Market(tokenID: try #require(UInt256(decimal: spec.yesToken)), tick: .cent, negRisk: false)
        let now = UInt64(Date().timeIntervalSince1970 * 1_000)
        // Amounts whose implied price is off the tick: refused by the venue in its words (the builder, like the
        // official client, would have rounded the price; the executor refuses an off-tick limit outright).
        let offTick = PolyOrder(salt: UInt256(7), maker: sim.signer.address, signer: sim.signer.address, tokenID: market.tokenID, makerAmount: 3_450_000,
                                takerAmount: 10_000_000, side: .buy, signatureType: .eoa, timestamp: now)
            .signed(by: sim.signer, exchange: .ctf)
        await #expect(throws: PolyAPIError(.rejected(status: 400, message: "order \(offTick.orderID) is invalid. Price (0.345) breaks minimum tick size rule: 0.01"),
                                           method: "POST", path: "/order")) {
            _ = try await client.post(offTick, type: .gtc)
        }
        // A FAK with nothing to meet, a FOK that cannot fill: refused by the venue, verbatim.
        let fak = try builder.order(market, side: .buy, price: Dollars(micros: 400_000), size: Dollars(micros: 10_000_000), type: .fak, nowMilliseconds: now)
        await #expect(throws: PolyAPIError(.rejected(status: 400, message: "no orders found to match with FAK order. FAK orders are partially filled or killed if no match is found."),
                                           method: "POST", path: "/order")) {
            _ = try await client.post(fak, type: .fak)
        }
        await sim.exchange.quote(spec.yesToken, .sell, price: price("0.40"), count: contracts("5"))
        let fok = try builder.order(market, side: .buy, price: Dollars(micros: 400_000), size: Dollars(micros: 10_000_000), type: .fok, nowMilliseconds: now + 1)
        await #expect(throws: PolyAPIError(.rejected(status: 400, message: "order couldn't be fully filled. FOK orders are fully filled or killed."),
                                           method: "POST", path: "/order")) {
            _ = try await client.post(fok, type: .fok)
        }
        // Below the market's minimum size (the builder without the minimum lets it through to the venue).
        let small = try builder.order(market, side: .buy, price: Dollars(micros: 300_000), size: Dollars(micros: 2_000_000), type: .gtc, nowMilliseconds: now + 2)
        do {
            _ = try await client.post(small, type: .gtc)
            Issue.record("a 2-share order was accepted")
        } catch {
            #expect(error.message == "order \(small.orderID) is invalid. Size (2) lower than the minimum: 5")
        }
        // More than the account holds.
        await sim.exchange.setBalance(sim.signer.address, collateral: Dollars(micros: 1_000_000))
        let big = try builder.order(market, side: .buy, price: Dollars(micros: 300_000), size: Dollars(micros: 10_000_000), type: .gtc, nowMilliseconds: now + 3)
        await #expect(throws: PolyAPIError(.rejected(status: 400, message: "not enough balance / allowance"), method: "POST", path: "/order")) {
            _ = try await client.post(big, type: .gtc)
        }
        // The same order twice: the venue knows it by its id.
        await sim.exchange.setBalance(sim.signer.address, collateral: Dollars(micros: 1_000_000_000))
        _ = try await client.post(big, type: .gtc)
        await #expect(throws: PolyAPIError(.rejected(status: 400, message: "order \(big.orderID) is invalid. Duplicated."), method: "POST", path: "/order")) {
            _ = try await client.post(big, type: .gtc)
        }
        #expect(try await client.openOrders(assetID: spec.yesToken).map(\.id) == [big.orderID])
        #expect(try await client.cancelAll().canceled == [big.orderID])
    }

    @Test("an order signed by another key than the API key's is refused; a signature that does not recover to the signer is refused")
    func signerChecks() async throws {
        let sim = try await PolySimFixture.start()
        defer { Task { await sim.stop() } }
        let spec = try #require(await sim.market(Self.slug))
        let client = try await sim.client()
        let stranger = try EthereumSigner(privateKeyHex: "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d")
        let market = PolyOrderBuilder.Market(tokenID: try #require(UInt256(decimal: spec.yesToken)), tick: .cent, negRisk: false)
        let now = UInt64(Date().timeIntervalSince1970 * 1_000)
        let theirs = try PolyOrderBuilder(signer: stranger).order(market, side: .buy, price: Dollars(micros: 300_000), size: Dollars(micros: 10_000_000),
                                                                   type: .gtc, nowMilliseconds: now)
        await #expect(throws: PolyAPIError(.rejected(status: 400, message: "the order signer address has to be the address of the API KEY"),
                                           method: "POST", path: "/order")) {
            _ = try await client.post(theirs, type: .gtc)
        }
        // Signed for the wrong exchange (neg-risk domain on a CTF market): the signature recovers to someone else.
        let mine = try PolyOrderBuilder(signer: sim.signer).order(PolyOrderBuilder.Market(tokenID: market.tokenID, tick: .cent, negRisk: true),
                                                                  side: .buy, price: Dollars(micros: 300_000), size: Dollars(micros: 10_000_000),
                                                                  type: .gtc, nowMilliseconds: now)
        await #expect(throws: PolyAPIError(.rejected(status: 400, message: "invalid signature"), method: "POST", path: "/order")) {
            _ = try await client.post(mine, type: .gtc)
        }
    }

    @Test("heartbeats chain their ids; when they stop, the venue cancels the key's open orders")
    func heartbeats() async throws {
        // Long enough that two heartbeats in a row never straddle it on a loaded machine (3 s once did, with
        // two suites running beside busy-loops).
        let sim = try await PolySimFixture.start { $0.heartbeatTimeout = .seconds(8) }
        defer { Task { await sim.stop() } }
        let spec = try #require(await sim.market(Self.slug))
        let client = try await sim.client()
        let market = PolyOrderBuilder.Market(tokenID: try #require(UInt256(decimal: spec.yesToken)), tick: .cent, negRisk: false)
        let order = try PolyOrderBuilder(signer: sim.signer).order(market, side: .buy, price: Dollars(micros: 200_000), size: Dollars(micros: 10_000_000),
                                                                   type: .gtc, nowMilliseconds: UInt64(Date().timeIntervalSince1970 * 1_000))
        _ = try await client.post(order, type: .gtc)
        let first = try await client.heartbeat("")
        let second = try await client.heartbeat(first)
        #expect(first != second)
        await #expect(throws: PolyAPIError.self) { _ = try await client.heartbeat("not-the-id") }
        // Nothing more: the switch trips (the simulator checks every second).
        for _ in 0..<300 where !(try await client.openOrders()).isEmpty { try await Task.sleep(for: .milliseconds(100)) }
        #expect(try await client.openOrders().isEmpty)
        #expect(try await client.order(order.orderID)?.status == "ORDER_STATUS_CANCELED")
    }
}
