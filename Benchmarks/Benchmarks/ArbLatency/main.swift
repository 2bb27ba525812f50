import Arbitrage
import Config
import Coordinator
import ExchangeSim
import Execution
import ExecutorTesting
import Foundation
import Histogram
import KalshiWire
import Markets
import PolymarketVenue
import PolymarketWire
import Synchronization
import VenueTransport

/// Arbs through the engine on both simulators (in this process, over loopback).
///
///     swift run -c release ArbLatency latency [arbs-per-second] [count]     # demo: decision → both legs' bytes at the venues
///     swift run -c release ArbLatency throughput [arbs-per-second] [seconds] # paper: sustained arbs/s through the engine
///
/// `latency`: the Kalshi executor and the Polymarket executor on the simulators' accounts; each arb buys
/// Kalshi YES and Polymarket NO (5 contracts) on books offering far more. The clock starts when the engine
/// has decided (every check passed, `onSend`) and stops when each simulator has read the whole order
/// request (`SimArrivals`, same process, same monotonic clock); the skew is the gap between the two legs'
/// arrivals. `throughput`: the same arbs in paper mode (fills modelled on the simulators' books, nothing
/// sent), offered at a steady rate on distinct pairs; reports what the engine completed per second.
@main
struct ArbLatency {
    static func main() async throws {
        let arguments = Array(CommandLine.arguments.dropFirst())
        let mode = arguments.first ?? "latency"
        let numbers = arguments.dropFirst().compactMap { Int($0) }
        let rate = numbers.first ?? (mode == "throughput" ? 600 : 100)
        let amount = numbers.dropFirst().first ?? (mode == "throughput" ? 10 : 1_000)
        let bench = try await Bench.start(paper: mode == "throughput")
        if mode == "throughput" {
            try await bench.throughput(rate: rate, seconds: amount)
        } else {
            try await bench.latency(rate: rate, count: amount)
        }
        await bench.stop()
    }
}

final class Stamps: Sendable {
    private let values = Mutex<[String: UInt64]>([:])
    func set(_ id: String) { let now = monotonicNanoseconds(); values.withLock { $0[id] = now } }
    var all: [String: UInt64] { values.withLock { $0 } }
}

struct Bench {
    static let ticker = "KXNFL-26JAN11-BUF"
    let kalshi: SimFixture
    let poly: PolySimFixture
    let venues: Venues
    let service: ExecutionService
    let engine: ArbEngine
    let dir: TemporaryDirectory
    let yesToken: String
    let noToken: String
    let decided = Stamps()

    static func start(paper: Bool) async throws -> Bench {
        // BENCH_PIN=1: the simulators on a thread pinned to CPU 1 and the order lanes' loop on CPU 0 (a
        // real venue's receive work never runs on the client's cores); otherwise, as the figures of earlier
        // days, the simulators on the concurrency pool (no simulator thread beside the client).
        if ProcessInfo.processInfo.environment["BENCH_PIN"] == "1" {
            SimServer.serveOnPinnedThread(cpu: 1)
            OrderLane.pinLoop(cpu: 0)
        } else {
            SimServer.serveOnConcurrencyPool()
        }
        let kalshi = try await SimFixture.start(tier: .prestige)
        let poly = try await PolySimFixture.start()
        let dir = try TemporaryDirectory()
        var config = V3Config()
        config.paperTrading = paper
        let venue = KalshiVenueConfig(apiURL: kalshi.server.baseURL, webSocketURL: kalshi.server.webSocketURL, credentials: kalshi.credentials)
        config.trading = venue
        config.data = venue
        config.rateTier = .prestige
        var polyConfig = PolymarketConfig()
        polyConfig.clobURL = poly.server.baseURL
        polyConfig.webSocketURL = poly.server.webSocketURL
        polyConfig.gammaURL = poly.server.gammaURL
        polyConfig.signer = poly.signer
        config.polymarket = polyConfig
        config.paper.startingCash = Dollars(micros: 1_000_000_000 * 1_000_000)
        let huge = Contracts(hundredths: Int64.max / 8)
        let limits = RiskLimits(maxPositionSize: huge, maxRiskPerTrade: Dollars(micros: Int64.max / 8), maxDailyLoss: Dollars(micros: Int64.max / 8),
                                maxDailyTrades: .max, maxDailyVolume: huge, maxPositionPerEvent: huge, maxOrdersPerMinute: .max,
                                minTimeBetweenOrders: .zero, maxConsecutiveLosses: 0)
        config.risk = limits
        let venues = try await Venues.connect(config, mode: paper ? .paper : .demo, log: { _ in })
        let service = try await venues.prepareExecution(journalPath: dir.path + "/journal.sqlite", mode: paper ? .paper : .demo, config: config,
                                                        breaker: BreakerSettings(limits: limits, maxTotalPosition: huge), log: { _ in })
        let market = venues.market
        let arbVenues = ArbVenuesOfRun(venues: venues, watcher: BookWatcher(log: { _ in }) { try await market.watchBooks($0) },
                                       firstBookWait: .seconds(2))
        var settings = ArbSettings()
        settings.maxAge = .seconds(60)
        settings.maxConcurrent = 256
        let engine = ArbEngine(legs: ServiceLegExecutor(service: service, venues: arbVenues, runID: "bench"), venues: arbVenues,
                               journal: service.journal, settings: settings)
        guard let spec = await poly.market("nfl-buf-2026-01-11") else { throw CocoaError(.featureUnsupported) }
        _ = await kalshi.exchange.createOrder(account: "mm", CreateOrderV2Request(ticker: ticker, clientOrderID: "mm-ask", side: .ask,
                                                                                   count: contracts("50000"), price: price("0.40"),
                                                                                   timeInForce: .goodTillCanceled))
        _ = await poly.exchange.quote(spec.noToken, .sell, price: price("0.55"), count: contracts("50000"), owner: "mm")
        // BENCH_LAUNCH_HOLD_US: how long a ready leg waits for the other (0: not held), for comparisons.
        if let hold = ProcessInfo.processInfo.environment["BENCH_LAUNCH_HOLD_US"].flatMap(Int.init) {
            await service.setLaunchHold(.microseconds(hold))
        }
        let bench = Bench(kalshi: kalshi, poly: poly, venues: venues, service: service, engine: engine, dir: dir, yesToken: spec.yesToken,
                          noToken: spec.noToken)
        let decided = bench.decided
        await engine.onSend { decided.set($0) }
        // Both books fresh before the first arb.
        for _ in 0..<500 {
            if await arbVenues.book(.kalshi, ticker).freshBook?.bestAsk(.yes)?.price == price("0.40"),
               await arbVenues.book(.polymarket, spec.yesToken).freshBook?.bestAsk(.no)?.price == price("0.55") { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        return bench
    }

    func arb(_ id: String, pair: String) -> ArbSignal {
        let line = #"{"type":"arb","arb_id":"\#(id)","pair_id":"\#(pair)","legs":[{"platform":"kalshi","action":"buy","side":"yes","price":"0.40","contracts":"5","kalshi_ticker":"\#(Self.ticker)"},{"platform":"polymarket","action":"buy","side":"no","price":"0.55","contracts":"5","poly_token":"\#(yesToken)"}]}"#
        var arb = try! ArbSignal(jsonLine: line)
        arb.receivedNanoseconds = ExecutionService.systemWallClock()
        return arb
    }

    func latency(rate: Int, count: Int) async throws {
        try kalshi.server.arrivals.start()
        try poly.server.arrivals.start()
        // When each leg's bytes were handed to the kernel (the order lane's flush returned).
        // Kept as they come (parsed afterwards: the trace runs on the event loop between a group's writes).
        let written = Mutex<[(Data, UInt64, UInt64)]>([])
        let tracing = OrderLane.traceWrites { write in
            if let body = write.body { written.withLock { $0.append((Data(body.readableBytesView), write.flushStarted, write.flushed)) } }
        }
        defer { OrderLane.stopTracing(tracing) }
        let warmup = min(50, count / 10)
        let interval = Duration.seconds(1) / rate
        let start = ContinuousClock.now
        for index in 0..<count {
            await engine.submit(arb("lat-\(index)", pair: "pair-\(index)"))
            try await Task.sleep(until: start + interval * (index + 1), clock: .continuous)
        }
        await engine.drain()
        let kalshiArrivals = kalshi.server.arrivals.drain()
        let polyArrivals = poly.server.arrivals.drain()
        let signer = poly.signer.address
        var kalshiHistogram = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
        var polyHistogram = kalshiHistogram, bothHistogram = kalshiHistogram, skewHistogram = kalshiHistogram
        var writtenHistogram = kalshiHistogram, writtenSkewHistogram = kalshiHistogram
        let kalshiWritten = SimArrivals(), polyWritten = SimArrivals.polymarket()
        let kalshiFlushing = SimArrivals(), polyFlushing = SimArrivals.polymarket()
        for (data, start, end) in written.withLock({ $0 }) {
            kalshiWritten.record(body: data, at: end)
            polyWritten.record(body: data, at: end)
            kalshiFlushing.record(body: data, at: start)
            polyFlushing.record(body: data, at: start)
        }
        let kalshiLeft = kalshiWritten.drain(), polyLeft = polyWritten.drain()
        let kalshiFlush = kalshiFlushing.drain(), polyFlush = polyFlushing.drain()
        var flushStartSkew = kalshiHistogram, bothSendsWindow = kalshiHistogram
        var measured = 0
        for (arbID, at) in decided.all {
            guard let index = Int(arbID.dropFirst(4)), index >= warmup else { continue }
            let kalshiID = "bench-lat-\(index)-a", polyID = "bench-lat-\(index)-b"
            let salt = PolymarketExecutor<ContinuousClock>.salt(clientOrderID: polyID, signer: signer).description
            guard let kalshiAt = kalshiArrivals[kalshiID], let polyAt = polyArrivals[salt], kalshiAt >= at, polyAt >= at else { continue }
            _ = kalshiHistogram.record((kalshiAt - at) / 1_000)
            _ = polyHistogram.record((polyAt - at) / 1_000)
            _ = bothHistogram.record((max(kalshiAt, polyAt) - at) / 1_000)
            _ = skewHistogram.record((max(kalshiAt, polyAt) - min(kalshiAt, polyAt)) / 1_000)
            if let kalshiOut = kalshiLeft[kalshiID], let polyOut = polyLeft[salt], kalshiOut >= at, polyOut >= at {
                _ = writtenHistogram.record((max(kalshiOut, polyOut) - at) / 1_000)
                _ = writtenSkewHistogram.record((max(kalshiOut, polyOut) - min(kalshiOut, polyOut)) / 1_000)
                if let kalshiStart = kalshiFlush[kalshiID], let polyStart = polyFlush[salt] {
                    _ = flushStartSkew.record((max(kalshiStart, polyStart) - min(kalshiStart, polyStart)) / 1_000)
                    // Both legs' bytes left between the first flush's start and the last one's return: the
                    // gap between the legs on the wire is at most this.
                    _ = bothSendsWindow.record((max(kalshiOut, polyOut) - min(kalshiStart, polyStart)) / 1_000)
                }
            }
            measured += 1
        }
        let outcomes = try service.journal.arbCounts()
        print("arb decision → order bytes at both simulators (in-process, demo executors): \(rate) arbs/s, \(measured) measured "
              + "(first \(warmup) are warm-up); outcomes \(outcomes.map { "\($0.key.rawValue)=\($0.value)" }.sorted().joined(separator: " "))")
        if let reasons = try? reasons(), !reasons.isEmpty { print("  not filled: \(reasons)") }
        for (name, histogram) in [("Kalshi leg", kalshiHistogram), ("Polymarket leg", polyHistogram), ("both legs (the later)", bothHistogram),
                                  ("skew between the legs", skewHistogram), ("both legs written (flush returned)", writtenHistogram),
                                  ("skew between the writes (flush returned)", writtenSkewHistogram),
                                  ("skew between the flushes' starts", flushStartSkew),
                                  ("both legs' sends within (first flush's start → last flush's return)", bothSendsWindow)] {
            print("  \(name): p50 \(histogram.valueAtPercentile(50)) µs  p90 \(histogram.valueAtPercentile(90)) µs  "
                  + "p99 \(histogram.valueAtPercentile(99)) µs  max \(histogram.max) µs")
        }
    }

    /// The most frequent reasons of arbs that did not fill.
    func reasons() throws -> String {
        var counts: [String: Int] = [:]
        for arb in try service.journal.arbs(limit: 100_000) where arb.outcome != .filled {
            counts[String(arb.reason.prefix(90)), default: 0] += 1
        }
        return counts.sorted { $0.value > $1.value }.prefix(3).map { "\($0.value)× \($0.key)" }.joined(separator: "; ")
    }

    func throughput(rate: Int, seconds: Int) async throws {
        let count = rate * seconds
        let interval = Duration.seconds(1) / rate
        let start = ContinuousClock.now
        for index in 0..<count {
            await engine.submit(arb("tp-\(index)", pair: "pair-\(index)"))
            // Paced in batches of 10 (a sleep per arb would cost more than the arb at these rates).
            if index % 10 == 9 { try await Task.sleep(until: start + interval * (index + 1), clock: .continuous) }
        }
        await engine.drain()
        let elapsed = start.duration(to: .now)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let outcomes = try service.journal.arbCounts()
        let filled = outcomes[.filled] ?? 0
        print("paper arbs through the engine on both simulators' books: offered \(count) at \(rate)/s; finished in \(String(format: "%.2f", seconds)) s "
              + "= \(String(format: "%.0f", Double(count) / seconds)) arbs/s (\(String(format: "%.0f", Double(2 * count) / seconds)) orders/s); "
              + "outcomes \(outcomes.map { "\($0.key.rawValue)=\($0.value)" }.sorted().joined(separator: " ")); filled \(filled)/\(count)")
        if let reasons = try? reasons(), !reasons.isEmpty { print("  not filled: \(reasons)") }
    }

    func stop() async {
        await venues.shutdown()
        await kalshi.stop()
        await poly.stop()
        dir.remove()
    }
}
