import Benchmark
#if canImport(Glibc)
import Glibc
#endif
import Execution
import ExchangeSim
import ExecutorTesting
import Foundation
import KalshiWire
import Markets
import Synchronization
import TradingClient

/// The simulator and client shared by the loopback benchmark (created in its setup hook).
final class LoopbackState: Sendable {
    let server: SimServer
    let client: KalshiTradingClient
    let counter = Atomic<Int>(0)

    init(server: SimServer, client: KalshiTradingClient) {
        self.server = server
        self.client = client
    }
}

let loopback = Mutex<LoopbackState?>(nil)

/// CPU time consumed by this whole process (all threads), in nanoseconds.
func processCPUNanoseconds() -> Int {
    var spec = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &spec)
    return spec.tv_sec * 1_000_000_000 + spec.tv_nsec
}

/// Process CPU per order; meaningful as the client's own cost when the simulator runs in another process.
let clientCPU = BenchmarkMetric.custom("Process CPU per order (ns)")

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .throughput],
        timeUnits: .microseconds,
        warmupIterations: 20,
        maxDuration: .seconds(5),
        maxIterations: 5_000)

    guard let vectors = try? AuthVectors.load(), let keyID = KalshiKeyID(vectors.key_id),
          let key = try? KalshiPrivateKey(pem: vectors.private_key_pkcs1_pem) else { return }
    let credentials = KalshiCredentials(keyID: keyID, privateKey: key)
    let message = "1763700000000POST/trade-api/v2/portfolio/events/orders"

    for backend in KalshiSigner.Backend.allCases {
        let signer = KalshiSigner(credentials: credentials, backend: backend)
        Benchmark("RSA-2048 PSS sign (\(backend.rawValue))") { benchmark in
            for _ in benchmark.scaledIterations { blackHole(try signer.signature(for: message)) }
        }
    }

    // The circuit breaker's check of one order against every limit, with 50 open positions.
    Benchmark("circuit breaker check (all limits, 50 open positions)", configuration: .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal], timeUnits: .nanoseconds, scalingFactor: .kilo,
        maxDuration: .seconds(3), maxIterations: 10_000)) { benchmark in
        var breaker = CircuitBreaker(nowMs: 1_795_000_000_000)
        for market in 0..<50 {
            breaker.setPosition(ticker: "KXM-\(market)", eventTicker: "KXE-\(market % 5)", position: Contracts(hundredths: 300))
        }
        let order = BreakerOrder(ticker: "KXM-7", eventTicker: "KXE-2", positionChange: Contracts(hundredths: 1_000), risk: Dollars(micros: 5_000_000))
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(breaker.check(order, nowMs: 1_795_000_000_000)) }
        benchmark.stopMeasurement()
    }

    // Everything the client does for one order except the network: check and map the intent, encode the
    // JSON body, sign the request.
    let builder = OrderRequestBuilder(venue: TradingVenue(apiURL: URL(string: KalshiHosts.demoAPI)!, allowsProduction: false))
    let signer = KalshiSigner(credentials: credentials)
    let encoder = KalshiJSON.encoder()
    Benchmark("create order: check + map + encode + sign (no I/O)") { benchmark in
        for index in benchmark.scaledIterations {
            let intent = OrderIntent(ticker: "KXNFL-26JAN11-BUF", action: .buy, side: .no, price: Price(micros: 530_000)!,
                                     count: Contracts(hundredths: 1_000), timeInForce: .immediateOrCancel, clientOrderID: "bench-\(index)")
            let request = try builder.request(for: intent, grid: .linearCent)
            blackHole(request.jsonBody)
            blackHole(try signer.headers(method: "POST", path: "/trade-api/v2/portfolio/events/orders", timestampMilliseconds: 1_763_700_000_000))
        }
    }

    Benchmark("create order body: hand-written (the client's path) vs JSONEncoder — hand-written") { benchmark in
        let request = try builder.request(for: OrderIntent(ticker: "KXNFL-26JAN11-BUF", action: .buy, side: .no, price: Price(micros: 530_000)!,
                                                           count: Contracts(hundredths: 1_000), timeInForce: .immediateOrCancel,
                                                           clientOrderID: "bench-1"), grid: .linearCent)
        for _ in benchmark.scaledIterations { blackHole(request.jsonBody) }
    }

    Benchmark("create order body: hand-written (the client's path) vs JSONEncoder — JSONEncoder") { benchmark in
        let request = try builder.request(for: OrderIntent(ticker: "KXNFL-26JAN11-BUF", action: .buy, side: .no, price: Price(micros: 530_000)!,
                                                           count: Contracts(hundredths: 1_000), timeInForce: .immediateOrCancel,
                                                           clientOrderID: "bench-1"), grid: .linearCent)
        for _ in benchmark.scaledIterations { blackHole(try encoder.encode(request)) }
    }

    // The full path on loopback: the above plus HTTP over a kept-alive connection to the simulator, which
    // matches the order (an IOC far from the book: it cancels at once) and answers. With
    // KALSHI_BENCH_SIM_URL set, the simulator is another process (`run-executor sim --no-rate-limits
    // --key-id … --public-key …`) and "Process CPU per order" is the client's cost alone.
    let external = ProcessInfo.processInfo.environment["KALSHI_BENCH_SIM_URL"].flatMap(URL.init(string:))
    Benchmark("create order: sign + encode + send to simulator (loopback, \(external == nil ? "in-process" : "separate-process") simulator)",
              configuration: .init(metrics: [.wallClock, .throughput, clientCPU], timeUnits: .microseconds, warmupIterations: 50,
                                   maxDuration: .seconds(10), maxIterations: 5_000)) { benchmark in
        guard let state = loopback.withLock({ $0 }) else { return }
        for _ in benchmark.scaledIterations {
            let n = state.counter.add(1, ordering: .relaxed).newValue
            let intent = OrderIntent(ticker: "KXNFL-26JAN11-BUF", action: .buy, side: .yes, price: Price(micros: 10_000)!,
                                     count: Contracts(hundredths: 100), timeInForce: .immediateOrCancel, clientOrderID: "loop-\(n)-\(UInt32.random(in: 0...UInt32.max))")
            let before = processCPUNanoseconds()
            blackHole(try await state.client.createOrder(intent, grid: .linearCent))
            benchmark.measurement(clientCPU, processCPUNanoseconds() - before)
        }
    } setup: {
        let keys = SimKeyRegistry()
        try keys.register(keyID: vectors.key_id, publicKeyPEM: vectors.public_key_pem)
        SimServer.serveOnConcurrencyPool()  // as the figures of earlier days: no simulator thread beside the client
        let server = try await SimServer.start(exchange: SimExchange(), keys: keys, rateLimits: false)
        var configuration = KalshiTransport.Configuration(baseURL: external ?? server.baseURL, credentials: credentials)
        configuration.clientRateLimit = false
        let transport = KalshiTransport(configuration)
        await transport.warmUp()
        let client = try KalshiTradingClient(transport: transport, allowsProduction: false)
        loopback.withLock { $0 = LoopbackState(server: server, client: client) }
    } teardown: {
        if let state = loopback.withLock({ $0 }) {
            try await state.client.shutdown()
            await state.server.stop()
        }
    }
}
