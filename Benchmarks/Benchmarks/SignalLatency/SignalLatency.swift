import Coordinator
import DataClient
import Execution
import KalshiVenue
import ExchangeSim
import ExecutorTesting
import Foundation
import Histogram
import KalshiWire
import Markets
import TradingClient

/// Signal in → order bytes at the venue, at a steady signal rate, over loopback.
///
/// The clock starts just before a JSON line is handed to the signal inbox (so parsing counts) and stops
/// when the simulator has read the whole order request (`SimArrivals`, same process, same clock). In
/// between: parse, the signal journaled as accepted, execution loop wake-up, market lookup, pricing,
/// breaker, intent log, executor, signing, HTTP. Orders are IOC below the market (nothing fills), so the book stays the same.
///
///     swift run -c release SignalLatency [signals-per-second] [count] [markets]
///
/// `markets` (default 1) spreads the signals over that many of the simulator's markets in turn: orders on
/// distinct markets execute concurrently, so a throughput run uses several. Printed too: the rate the
/// orders actually reached the venue, and any signal that produced no order or more than one.
///
/// `KALSHI_BENCH_UNLIMITED=1` turns rate limits off on both sides (throughput runs: the fastest Kalshi
/// tier's limit, 912 orders/s with the client's safety margin, is otherwise what a run measures).
///
/// With `KALSHI_BENCH_SIM_URL` (and `KALSHI_BENCH_ARRIVALS`, the file given to the simulator's
/// `--arrivals-log`) the simulator runs in its own process (registered with the signing-vector key), so
/// the figure is the executor's alone; the monotonic clock is shared by both processes.
@main
struct SignalLatency {
    static func main() async throws {
        let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
        let rate = arguments.first ?? 100
        let count = arguments.dropFirst().first ?? 2_000
        let marketCount = max(1, arguments.dropFirst(2).first ?? 1)
        let warmup = min(100, count / 10)

        let environment = ProcessInfo.processInfo.environment
        let external = environment["KALSHI_BENCH_SIM_URL"].flatMap(URL.init(string:))
        let arrivalsFile = environment["KALSHI_BENCH_ARRIVALS"]
        // KALSHI_BENCH_UNLIMITED=1: no rate limit on either side (the client's limiter and the in-process
        // simulator's; start a separate simulator with --no-rate-limits). Kalshi's fastest tier (prestige,
        // 9,600 write tokens/s, 10 per order, 95 % of it) holds a client to 912 orders/s.
        let unlimited = environment["KALSHI_BENCH_UNLIMITED"] == "1"
        SimServer.serveOnConcurrencyPool()  // as the figures of earlier days: no simulator thread beside the client
        let sim = try await SimFixture.start(tier: .prestige, rateLimits: !unlimited)
        let dir = try TemporaryDirectory()
        func transport() -> KalshiTransport {
            guard let external else { return sim.transport(tier: .prestige) { $0.clientRateLimit = !unlimited } }
            var configuration = KalshiTransport.Configuration(baseURL: external, credentials: sim.credentials)
            configuration.tier = .prestige
            configuration.clientRateLimit = !unlimited
            return KalshiTransport(configuration)
        }
        let client = try KalshiTradingClient(transport: transport(), allowsProduction: false)
        await client.warmUp()
        let socket = external.map { url in
            KalshiWebSocket(KalshiWebSocket.Configuration(url: URL(string: url.absoluteString.replacingOccurrences(of: "http", with: "ws")
                .replacingOccurrences(of: "/trade-api/v2", with: "/trade-api/ws/v2"))!, credentials: sim.credentials))
        } ?? sim.webSocket()
        let executor = KalshiExecutor(client: client, account: environment["KALSHI_BENCH_NO_WS"] == nil ? AccountStream(socket: socket) : nil,
                                      clock: ContinuousClock())
        try await executor.start()
        var limits = RiskLimits()
        limits.maxDailyTrades = .max
        limits.maxOrdersPerMinute = .max
        limits.minTimeBetweenOrders = .zero
        limits.maxDailyVolume = Contracts(hundredths: .max / 4)
        let service = try ExecutionService(executor: executor, journal: Journal(path: dir.path + "/journal.sqlite"), mode: .demo,
                                           breaker: BreakerSettings(limits: limits))
        let catalog = MarketCatalog(client: KalshiDataClient(transport: transport()))
        _ = try await catalog.refreshOpenMarkets()
        let tickers = Array(await catalog.tickers.sorted().prefix(marketCount))
        var settings = ExecutionLoop.Settings()
        settings.pricing.maxRetries = 0
        settings.maxSignalsPerCycle = 100
        settings.statsEvery = .max
        let inbox = SignalInbox(store: service.journal)  // each signal is journaled as it is accepted, as in a run
        let loop = ExecutionLoop(inbox: inbox, service: service, catalog: catalog, settings: settings, log: { _ in })
        let running = Task { await loop.run() }
        try sim.server.arrivals.start()
        // The machine's floor at the same rate, on the same simulator, before the signals (see `Floor`).
        let floorCount = rate <= 200 ? Int(environment["KALSHI_BENCH_FLOOR"] ?? "") ?? 400 : 0
        let floor = floorCount > 0 ? await Floor.run(port: external?.port ?? sim.server.port, rate: rate, count: floorCount) : nil

        var sent: [String: UInt64] = [:]
        let interval = Duration.seconds(1) / rate
        let start = ContinuousClock.now
        for index in 0..<count {
            let id = "lat-\(index)"
            let ticker = marketCount == 1 ? "KXNFL-26JAN11-BUF" : tickers[index % tickers.count]
            let line = #"{"signal_id":"\#(id)","should_trade":true,"action":"BUY_YES","kalshi":{"ticker":"\#(ticker)","yes_ask":5,"no_ask":96},"edge":{"cents":1},"position":{"contracts":1}}"#
            sent[id] = monotonicNanoseconds()
            await inbox.submit([.text(number: index + 1, line)])
            try await Task.sleep(until: start + interval * (index + 1), clock: .continuous)
        }
        try await Task.sleep(for: .seconds(1))
        await loop.stop()
        await running.value

        var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
        var matched = 0
        var arrivals = sim.server.arrivals.drain()
        if let arrivalsFile, let text = try? String(contentsOfFile: arrivalsFile, encoding: .utf8) {
            for line in text.split(separator: "\n") {
                let parts = line.split(separator: " ")
                if parts.count == 2, let ns = UInt64(parts[1]) { arrivals[String(parts[0])] = ns }
            }
        }
        var floorHistogram = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
        for (id, at) in floor ?? [:] {
            // The first 50 warm the path, as the signals' warm-up does.
            guard let arrived = arrivals[id], arrived >= at, let index = Int(id.dropFirst(6)), index >= 50 else { continue }
            _ = floorHistogram.record((arrived - at) / 1_000)
        }
        arrivals = arrivals.filter { !$0.key.hasPrefix("floor-") }
        for (clientOrderID, arrived) in arrivals {
            let id = clientOrderID.split(separator: "-").dropFirst(2).dropLast().joined(separator: "-")
            guard let index = Int(id.dropFirst(4)), index >= warmup, let at = sent[id], arrived >= at else { continue }
            _ = histogram.record((arrived - at) / 1_000)
            matched += 1
        }
        var perSignal: [String: Int] = [:]
        for clientOrderID in arrivals.keys {
            perSignal[clientOrderID.split(separator: "-").dropFirst(2).dropLast().joined(separator: "-"), default: 0] += 1
        }
        let lost = sent.keys.filter { perSignal[$0] == nil }.count, duplicated = perSignal.values.filter { $0 > 1 }.count
        let times = arrivals.values.sorted()
        let span = Double((times.last ?? 0) - (times.first ?? 0)) / 1e9
        print("signal → order bytes at the simulator (\(external == nil ? "in-process" : "separate-process")): \(rate) signals/s over \(marketCount) market(s), "
              + "\(matched) measured (first \(warmup) are warm-up)")
        print("  orders at the venue: \(arrivals.count) in \(String(format: "%.2f", span)) s (\(span > 0 ? Int(Double(arrivals.count - 1) / span) : 0)/s); "
              + "signals without an order \(lost), with more than one \(duplicated)")
        print("  p50 \(histogram.valueAtPercentile(50)) µs  p90 \(histogram.valueAtPercentile(90)) µs  p99 \(histogram.valueAtPercentile(99)) µs  max \(histogram.max) µs")
        if floorHistogram.totalCount > 0 {
            print("  floor (a plain socket writing a prebuilt request at the same rate to the same simulator, \(floorHistogram.totalCount) requests): "
                  + "p50 \(floorHistogram.valueAtPercentile(50)) µs  p90 \(floorHistogram.valueAtPercentile(90)) µs  p99 \(floorHistogram.valueAtPercentile(99)) µs")
            print("  this client over the floor: p50 +\(Int(histogram.valueAtPercentile(50)) - Int(floorHistogram.valueAtPercentile(50))) µs  "
                  + "p99 +\(Int(histogram.valueAtPercentile(99)) - Int(floorHistogram.valueAtPercentile(99))) µs")
        }
        let submitted = service.metrics.summary(.signalToSubmitted)
        // `signalAt` is stamped as the inbox takes the line (before parsing), not at the loop's pick-up.
        print("  of which inbox has the line → parsed, accepted, picked up, breaker, intent logged, executor called (all orders): "
              + "p50 \(submitted.p50) µs  p99 \(submitted.p99) µs")
        await executor.stop()
        try? await client.shutdown()
        await sim.stop()
        dir.remove()
    }
}
