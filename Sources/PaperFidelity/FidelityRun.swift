import DataClient
import ExchangeSim
import Execution
import Foundation
import KalshiVenue
import KalshiWire
import Markets
import TradingClient

/// # PaperFidelity
///
/// Does paper trading tell the truth? One seeded signal stream is executed twice at the same moments:
/// by the `PaperExecutor` (book model) on a production-like simulator's book, and by the `KalshiExecutor`
/// against a simulated demo venue that mirrors that book and its trade flow (a second simulator where every
/// order of the seeded participants is repeated; only our own demo orders make the two differ, as they would).
/// The comparison says how far paper's fill rate, average fill price and slippage are from the venue's.

/// How a fidelity run is shaped.
public struct FidelitySettings: Sendable {
    public var duration: Duration = .seconds(60)
    public var seed: UInt64 = 1
    /// One signal every this long.
    public var signalInterval: Duration = .milliseconds(200)
    /// Other participants act this often (both venues, lockstep).
    public var activityInterval: Duration = .milliseconds(50)
    /// A resting (passive) order still working after this long is cancelled, on both sides.
    public var restingTimeout: Duration = .seconds(3)
    /// Share of signals that rest passively at the bid (the rest take liquidity), in percent.
    public var passivePercent = 40
    /// Thresholds of the verdict.
    public var maxFillRateGap = 0.02
    public var maxPriceGap = Dollars(micros: 2_000)
    public var paper = PaperExecutor<ContinuousClock>.Settings()
    /// The paper executor's latency; `nil` calibrates it to the demo venue's measured round trip (its
    /// 10th to 90th percentile over probe orders before the stream starts).
    public var paperLatency: ClosedRange<Duration>?
    public init() {}
}

/// What one executor did with the stream.
public struct FidelityStats: Sendable, Hashable, Codable {
    public var orders = 0
    /// Orders with at least one fill.
    public var filledOrders = 0
    public var requested = Contracts.zero
    public var filled = Contracts.zero
    /// Σ fill price × contracts (micro-dollars × hundredths), for the average.
    var priceWeight: Int64 = 0
    /// Σ (fill price − expected price) × contracts.
    var slippageWeight: Int64 = 0
    public var rejected = 0

    /// Filled contracts over requested contracts.
    public var fillRate: Double { requested.hundredths == 0 ? 0 : Double(filled.hundredths) / Double(requested.hundredths) }
    public var orderFillRate: Double { orders == 0 ? 0 : Double(filledOrders) / Double(orders) }
    /// Volume-weighted average fill price (of the outcome traded).
    public var averagePrice: Dollars? { filled.hundredths == 0 ? nil : Dollars(micros: priceWeight / filled.hundredths) }
    /// Volume-weighted (fill − expected): positive paid more than the signal expected.
    public var slippage: Dollars? { filled.hundredths == 0 ? nil : Dollars(micros: slippageWeight / filled.hundredths) }

    mutating func add(_ result: ExecutionResult, requested count: Contracts, expected: Price) {
        orders += 1
        requested = requested.addingSaturated(count)
        if result.order.state == .rejected { rejected += 1 }
        let fills = result.order.fills
        if !fills.isEmpty { filledOrders += 1 }
        for fill in fills {
            filled = filled.addingSaturated(fill.count)
            let (weight, overflow) = fill.price.micros.multipliedReportingOverflow(by: fill.count.hundredths)
            let (slip, slipOverflow) = (fill.price.micros - expected.micros).multipliedReportingOverflow(by: fill.count.hundredths)
            if !overflow { priceWeight = priceWeight.addingReportingOverflow(weight).overflow ? priceWeight : priceWeight + weight }
            if !slipOverflow { slippageWeight = slippageWeight.addingReportingOverflow(slip).overflow ? slippageWeight : slippageWeight + slip }
        }
    }
}

/// Paper against the venue for one stream.
public struct FidelityReport: Sendable, Codable {
    public var seed: UInt64
    public var signals: Int
    public var taking: Int
    public var passive: Int
    public var paper: FidelityStats
    public var venue: FidelityStats
    /// The same two for orders that take liquidity, and for passive orders (queue position shows here).
    public var paperTaking: FidelityStats
    public var venueTaking: FidelityStats
    public var paperPassive: FidelityStats
    public var venuePassive: FidelityStats
    /// Orders that filled on both sides: their average prices compare like with like (the overall
    /// averages also move with which markets happened to fill).
    public var paperCommon: FidelityStats
    public var venueCommon: FidelityStats
    /// The paper executor's latency range, and the venue's measured acknowledgement latencies (µs).
    public var paperLatencyMicroseconds: ClosedRange<Int64>
    public var venueLatencyP50Microseconds: Int64?
    public var venueLatencyP90Microseconds: Int64?
    public var maxFillRateGap: Double
    public var maxPriceGap: Dollars

    public var fillRateGap: Double { abs(paper.fillRate - venue.fillRate) }

    static func gap(_ a: Dollars?, _ b: Dollars?) -> Dollars? {
        guard let a, let b else { return nil }
        return Dollars(micros: abs(a.micros - b.micros))
    }

    /// Average fill price gap over the orders both filled.
    public var averagePriceGap: Dollars? { Self.gap(paperCommon.averagePrice, venueCommon.averagePrice) }
    public var slippageGap: Dollars? { Self.gap(paper.slippage, venue.slippage) }

    /// Within 2 percentage points of fill rate and $0.002 of average price and of slippage.
    public var withinTolerance: Bool {
        guard let price = averagePriceGap, let slippage = slippageGap else { return false }
        return fillRateGap <= maxFillRateGap && price <= maxPriceGap && slippage <= maxPriceGap
    }
}

/// Runs the experiment: two simulators in lockstep, the paper executor on one's books, the Kalshi executor
/// on the other, the same orders sent to both at the same moment.
public enum FidelityRun {
    public static func run(_ settings: FidelitySettings, progress: @escaping @Sendable (String) -> Void = { _ in }) async throws -> FidelityReport {
        let key = try KalshiPrivateKey.generate()
        guard let keyID = KalshiKeyID("fidelity-trader") else { throw FidelityError("key id") }
        let credentials = KalshiCredentials(keyID: keyID, privateKey: key)
        let keys = SimKeyRegistry()
        try keys.register(keyID: keyID.rawValue, publicKeyPEM: key.publicKeyPEM)

        // Production-like venue (market data) and the demo venue mirroring it: the same markets, and every
        // order of the seeded participants placed, cancelled or sent on both.
        let production = SimExchange(), demo = SimExchange()
        let participants = SyntheticActivity(exchange: production, seed: settings.seed, mirror: demo)
        await participants.seedBooks()
        let productionServer = try await SimServer.start(exchange: production, keys: keys, rateLimits: false)
        let demoServer = try await SimServer.start(exchange: demo, keys: keys, rateLimits: false)
        await demo.openAccount(keyID.rawValue, balance: Dollars(micros: 1_000_000 * 1_000_000))

        let data = LiveMarketData(socket: KalshiWebSocket(KalshiWebSocket.Configuration(url: productionServer.webSocketURL, credentials: credentials)))
        await data.start()
        let specs = SimExchange.Configuration().markets.filter { $0.status == "active" }
        let tickers = specs.map(\.ticker)
        try await data.watchBooks(tickers)
        try await data.watch(.trade, tickers: tickers)

        var transport = KalshiTransport.Configuration(baseURL: demoServer.baseURL, credentials: credentials)
        // The demo simulator enforces no rate limit: the client must not throttle itself either (it would add latency the venue does not have).
        transport.tier = .prestige
        let client = try KalshiTradingClient(transport: KalshiTransport(transport), allowsProduction: false)
        var venueSettings = KalshiExecutor<ContinuousClock>.Settings()
        venueSettings.orderTimeout = settings.restingTimeout
        let account = AccountStream(socket: KalshiWebSocket(KalshiWebSocket.Configuration(url: demoServer.webSocketURL, credentials: credentials)))
        let venue = KalshiExecutor(client: client, account: account, clock: ContinuousClock(), settings: venueSettings)
        try await venue.start()

        var paperSettings = settings.paper
        if let latency = settings.paperLatency {
            paperSettings.latency = latency
        } else if let spec = specs.first {
            paperSettings.latency = try await Self.calibrate(venue, spec: spec, seed: settings.seed)
        }
        progress("paper latency \(paperSettings.latency.lowerBound.wholeMicroseconds)–\(paperSettings.latency.upperBound.wholeMicroseconds) µs"
                 + (settings.paperLatency == nil ? " (calibrated on the demo venue)" : ""))
        paperSettings.seed = settings.seed
        paperSettings.orderTimeout = settings.restingTimeout
        paperSettings.startingCash = Dollars(micros: 1_000_000 * 1_000_000)
        let paper = PaperExecutor(books: data, clock: ContinuousClock(), settings: paperSettings)
        let trades = Task {
            for await update in data.updates {
                switch update {
                case let .trade(trade):
                    guard let yes = Price(trade.yesPriceDollars) else { continue }
                    await paper.onTrade(ticker: trade.marketTicker, yesPrice: yes, count: trade.countFP, takerSide: trade.takerBookSide)
                case let .book(ticker, _):
                    await paper.onBook(ticker: ticker)
                default:
                    continue
                }
            }
        }
        let ready = ContinuousClock.now + .seconds(10)
        for ticker in tickers {
            while ContinuousClock.now < ready, await data.book(ticker).freshBook == nil { try await Task.sleep(for: .milliseconds(20)) }
        }

        let flow = Task {
            while !Task.isCancelled {
                await participants.step()
                try? await Task.sleep(for: settings.activityInterval)
            }
        }
        let tally = Tally()
        var random = SplitMix64(seed: settings.seed ^ 0x5EED_F1DE_0000_0001)
        let grids = Dictionary(uniqueKeysWithValues: specs.map { ($0.ticker, ($0.grid, $0.seriesTicker)) })
        let end = ContinuousClock.now + settings.duration
        var index = 0
        await withTaskGroup(of: Void.self) { group in
            while ContinuousClock.now < end {
                index += 1
                let ticker = tickers[Int(random.next() % UInt64(tickers.count))]
                let side: OutcomeSide = random.next() % 2 == 0 ? .yes : .no
                let passive = Int(random.next() % 100) < settings.passivePercent
                let count = Contracts(hundredths: Int64(1 + random.next() % 15) * 100)
                let extraTicks = Int(random.next() % 2)
                if let (grid, series) = grids[ticker], case let .fresh(book, _) = await data.book(ticker),
                   let order = Self.order(book: book, side: side, passive: passive, extraTicks: extraTicks, grid: grid) {
                    let request = ExecutionRequest(clientOrderID: "fid-\(settings.seed)-\(index)", ticker: ticker, seriesTicker: series, action: .buy,
                                                   side: side, limit: order.limit, count: count,
                                                   timeInForce: passive ? .goodTillCanceled : .immediateOrCancel, grid: grid)
                    var paperRequest = request, venueRequest = request
                    paperRequest.clientOrderID += "-p"
                    venueRequest.clientOrderID += "-v"
                    group.addTask { [paperRequest, venueRequest] in
                        async let paperResult = paper.execute(paperRequest)
                        async let venueResult = venue.execute(venueRequest)
                        let (p, v) = await (paperResult, venueResult)
                        await tally.add(paper: p, venue: v, count: count, expected: order.expected, passive: passive)
                    }
                }
                if index % 50 == 0 { progress("\(index) signals sent") }
                try? await Task.sleep(for: settings.signalInterval)
            }
        }
        flow.cancel()
        trades.cancel()
        await venue.stop()
        try? await client.shutdown()
        await data.stop()
        await productionServer.stop()
        await demoServer.stop()
        return await tally.report(settings, paperLatency: paperSettings.latency.lowerBound.wholeMicroseconds...paperSettings.latency.upperBound.wholeMicroseconds)
    }

    /// The demo venue's round trip: IOC buys at the lowest price (they never fill), timed from the
    /// executor's call to the venue's answer; the paper executor gets their 10th to 90th percentile.
    static func calibrate(_ venue: KalshiExecutor<ContinuousClock>, spec: SimMarketSpec, seed: UInt64) async throws -> ClosedRange<Duration> {
        var samples: [Duration] = []
        for probe in 1...21 {
            guard let lowest = Price(micros: 10_000) else { break }
            let result = await venue.execute(ExecutionRequest(clientOrderID: "fid-\(seed)-probe-\(probe)", ticker: spec.ticker, seriesTicker: spec.seriesTicker,
                                                              action: .buy, side: .yes, limit: lowest, count: Contracts(hundredths: 100),
                                                              timeInForce: .immediateOrCancel, grid: spec.grid))
            if let acknowledged = result.timing.acknowledged { samples.append(acknowledged) }
        }
        guard samples.count >= 5 else { throw FidelityError("the demo venue answered only \(samples.count) of 21 probe orders") }
        samples.sort()
        return samples[samples.count / 10] ... samples[samples.count * 9 / 10]
    }

    /// A buy of `side`: taking at the best ask (plus `extraTicks`, so some orders walk the book and some
    /// fill partly), or resting passively at the best bid. `nil` when the book has no such price.
    static func order(book: OrderBook, side: OutcomeSide, passive: Bool, extraTicks: Int, grid: PriceGrid) -> (limit: Price, expected: Price)? {
        if passive {
            guard let bid = book.bestBid(side)?.price else { return nil }
            return (bid, bid)
        }
        guard let ask = book.bestAsk(side)?.price else { return nil }
        // The grid is on the YES scale: step the YES price the other way for NO.
        let yes = ask.of(side)
        var stepped = yes
        for _ in 0..<extraTicks {
            guard let nudged = Price(micros: stepped.micros + (side == .yes ? 1 : -1)), let next = grid.round(nudged, side == .yes ? .up : .down) else { break }
            stepped = next
        }
        return (stepped.of(side), ask)
    }
}

struct FidelityError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Results as they come in from concurrent orders.
actor Tally {
    var paper = FidelityStats(), venue = FidelityStats(), paperPassive = FidelityStats(), venuePassive = FidelityStats()
    var paperTaking = FidelityStats(), venueTaking = FidelityStats(), paperCommon = FidelityStats(), venueCommon = FidelityStats()
    var venueLatencies: [Int64] = []
    var taking = 0, passive = 0

    func add(paper p: ExecutionResult, venue v: ExecutionResult, count: Contracts, expected: Price, passive isPassive: Bool) {
        paper.add(p, requested: count, expected: expected)
        venue.add(v, requested: count, expected: expected)
        if !p.order.fills.isEmpty, !v.order.fills.isEmpty {
            paperCommon.add(p, requested: count, expected: expected)
            venueCommon.add(v, requested: count, expected: expected)
        }
        if let acknowledged = v.timing.acknowledged { venueLatencies.append(acknowledged.wholeMicroseconds) }
        if isPassive {
            passive += 1
            paperPassive.add(p, requested: count, expected: expected)
            venuePassive.add(v, requested: count, expected: expected)
        } else {
            taking += 1
            paperTaking.add(p, requested: count, expected: expected)
            venueTaking.add(v, requested: count, expected: expected)
        }
    }

    func report(_ settings: FidelitySettings, paperLatency: ClosedRange<Int64>) -> FidelityReport {
        let sorted = venueLatencies.sorted()
        return FidelityReport(seed: settings.seed, signals: taking + passive, taking: taking, passive: passive, paper: paper, venue: venue,
                              paperTaking: paperTaking, venueTaking: venueTaking, paperPassive: paperPassive, venuePassive: venuePassive,
                              paperCommon: paperCommon, venueCommon: venueCommon, paperLatencyMicroseconds: paperLatency,
                              venueLatencyP50Microseconds: sorted.isEmpty ? nil : sorted[sorted.count / 2],
                              venueLatencyP90Microseconds: sorted.isEmpty ? nil : sorted[sorted.count * 9 / 10],
                              maxFillRateGap: settings.maxFillRateGap, maxPriceGap: settings.maxPriceGap)
    }
}
