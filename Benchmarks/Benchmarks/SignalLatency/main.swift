import Coordinator
import DataClient
import Execution
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
/// between: parse, execution loop wake-up, market lookup, pricing, breaker, journal commit, executor,
/// signing, HTTP. Orders are IOC below the market (nothing fills), so the book stays the same.
///
///     swift run -c release SignalLatency [signals-per-second] [count]
@main
struct SignalLatency {
    static func main() async throws {
        let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
        let rate = arguments.first ?? 100
        let count = arguments.dropFirst().first ?? 2_000
        let warmup = min(100, count / 10)

        let sim = try await SimFixture.start(tier: .prestige)
        let dir = try TemporaryDirectory()
        let transport = sim.transport(tier: .prestige)
        let client = try KalshiTradingClient(transport: transport, allowsProduction: false)
        await client.warmUp()
        let executor = KalshiExecutor(client: client, account: AccountStream(socket: sim.webSocket()), clock: ContinuousClock())
        try await executor.start()
        var limits = RiskLimits()
        limits.maxDailyTrades = .max
        limits.maxOrdersPerMinute = .max
        limits.minTimeBetweenOrders = .zero
        limits.maxDailyVolume = Contracts(hundredths: .max / 4)
        let service = try ExecutionService(executor: executor, journal: Journal(path: dir.path + "/journal.sqlite"), mode: .demo,
                                           breaker: BreakerSettings(limits: limits))
        let catalog = MarketCatalog(client: KalshiDataClient(transport: sim.transport(tier: .prestige)))
        _ = try await catalog.refreshOpenMarkets()
        var settings = ExecutionLoop.Settings()
        settings.pricing.maxRetries = 0
        settings.maxSignalsPerCycle = 100
        settings.statsEvery = .max
        let inbox = SignalInbox()
        let loop = ExecutionLoop(inbox: inbox, service: service, catalog: catalog, settings: settings, log: { _ in })
        let running = Task { await loop.run() }
        sim.server.arrivals.start()

        var sent: [String: ContinuousClock.Instant] = [:]
        let interval = Duration.seconds(1) / rate
        let start = ContinuousClock.now
        for index in 0..<count {
            let id = "lat-\(index)"
            let line = #"{"signal_id":"\#(id)","should_trade":true,"action":"BUY_YES","kalshi":{"ticker":"KXNFL-26JAN11-BUF","yes_ask":5,"no_ask":96},"edge":{"cents":1},"position":{"contracts":1}}"#
            sent[id] = .now
            await inbox.ingest(lines: [line])
            try await Task.sleep(until: start + interval * (index + 1), clock: .continuous)
        }
        try await Task.sleep(for: .seconds(1))
        await loop.stop()
        await running.value

        var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
        var matched = 0
        for (clientOrderID, arrived) in sim.server.arrivals.drain() {
            guard let id = clientOrderID.split(separator: "-").dropFirst(2).dropLast().joined(separator: "-") as String?,
                  let index = Int(id.dropFirst(4)), index >= warmup, let at = sent[id] else { continue }
            let latency = at.duration(to: arrived)
            _ = histogram.record(UInt64(max(0, latency.components.attoseconds / 1_000_000_000_000 + latency.components.seconds * 1_000_000)))
            matched += 1
        }
        print("signal → order bytes at the simulator: \(rate) signals/s, \(matched) measured (first \(warmup) are warm-up)")
        print("  p50 \(histogram.valueAtPercentile(50)) µs  p90 \(histogram.valueAtPercentile(90)) µs  p99 \(histogram.valueAtPercentile(99)) µs  max \(histogram.max) µs")
        let submitted = service.metrics.summary(.signalToSubmitted)
        print("  of which loop pick-up → journal committed, executor called (all orders): p50 \(submitted.p50) µs  p99 \(submitted.p99) µs")
        await executor.stop()
        try? await client.shutdown()
        await sim.stop()
        dir.remove()
    }
}
