import Benchmark
import DataClient
import Execution
import ExecutorTesting
import Foundation
import Markets

/// A market-data source with one fixed, deep book (the paper executor's input without any I/O).
struct StaticBooks: MarketDataSource {
    let book: OrderBook
    func book(_ ticker: String) async -> ServedBook { .fresh(book, seq: 1) }
}

/// 50 YES bids from $0.01 and 50 NO bids from $0.01: YES asks from $0.51 up, 1,000 contracts a level.
func deepBook() -> OrderBook {
    func levels() -> [BookLevel] { (1...49).map { BookLevel(price: Price(micros: Int64($0) * 10_000)!, size: Contracts(hundredths: 100_000)) } }
    return (try? OrderBook(ticker: "KXNFL-26JAN11-BUF", yesBids: levels(), noBids: levels())) ?? OrderBook(ticker: "KXNFL-26JAN11-BUF")
}

func request(_ id: String) -> ExecutionRequest {
    ExecutionRequest(clientOrderID: id, ticker: "KXNFL-26JAN11-BUF", seriesTicker: "KXNFL", action: .buy, side: .yes,
                     limit: Price(micros: 990_000)!, count: Contracts(hundredths: 500), timeInForce: .immediateOrCancel)
}

func fills(_ order: String, count: Int, from start: Int) -> [JournalFill] {
    (0..<count).map {
        JournalFill(fillID: "\(order)-\(start + $0)", clientOrderID: order, ticker: "KXNFL-26JAN11-BUF", count: Contracts(hundredths: 100),
                    price: Price(micros: 450_000)!, fee: Dollars(micros: 10_000), role: .taker, nanoseconds: Int64(start + $0))
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        timeUnits: .microseconds,
        warmupIterations: 10,
        maxDuration: .seconds(5),
        maxIterations: 5_000)

    // Paper executor, book model, no simulated latency: walk the book, fees, cash, position.
    Benchmark("paper executor: IOC order on a 50-level book (book model, zero latency)") { benchmark in
        var settings = PaperExecutor<ContinuousClock>.Settings()
        settings.latency = .zero ... .zero
        settings.startingCash = Dollars(micros: .max / 4)
        let paper = PaperExecutor(books: StaticBooks(book: deepBook()), clock: ContinuousClock(), settings: settings)
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations { blackHole(await paper.execute(request("p-\(index)"))) }
        benchmark.stopMeasurement()
    }

    // The breaker's check and record at 2,000 orders/s sustained with MAX_ORDERS_PER_MINUTE high enough not
    // to bind: 120,000 orders in the last minute (the window used to be scanned whole on every check).
    Benchmark("circuit breaker: check + record, 120,000 orders in the last minute") { benchmark in
        var limits = RiskLimits()
        limits.maxOrdersPerMinute = 1_000_000
        limits.maxDailyTrades = .max
        limits.minTimeBetweenOrders = .zero
        limits.maxDailyVolume = Contracts(hundredths: .max / 4)
        let start: Int64 = 1_795_000_000_000
        var breaker = CircuitBreaker(settings: BreakerSettings(limits: limits), nowMs: start)
        let order = BreakerOrder(ticker: "KXNFL-26JAN11-BUF", eventTicker: "KXNFL-26JAN11", positionChange: Contracts(hundredths: 100),
                                 risk: Dollars(micros: 10_000))
        for index in 0..<120_000 { breaker.recordSubmitted(order, nowMs: start + Int64(index / 2)) }
        var now = start + 60_000
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            now += 1
            blackHole(breaker.check(order, nowMs: now))
            breaker.recordSubmitted(order, nowMs: now)
        }
        benchmark.stopMeasurement()
    }

    guard let dir = try? TemporaryDirectory() else { return }

    // One order row committed (WAL, its own transaction): what every order waits for before it is sent.
    Benchmark("journal: insert one order (single commit)") { benchmark in
        guard let journal = try? Journal(path: dir.path + "/insert-\(UUID().uuidString).sqlite") else { return }
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            try journal.insert(JournalOrder(clientOrderID: "o-\(index)", signalID: nil, ticker: "KXNFL-26JAN11-BUF", action: .buy, side: .yes,
                                            limitPrice: Price(micros: 450_000)!, requested: Contracts(hundredths: 500), mode: "paper",
                                            createdNanoseconds: Int64(index)))
        }
        benchmark.stopMeasurement()
    }

    // Fills in batches of 100 per transaction; throughput × 100 = fills per second.
    Benchmark("journal: 100 fills per transaction", configuration: .init(metrics: [.wallClock, .throughput], timeUnits: .microseconds,
                                                                          maxDuration: .seconds(5), maxIterations: 2_000)) { benchmark in
        guard let journal = try? Journal(path: dir.path + "/fills-\(UUID().uuidString).sqlite") else { return }
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations { blackHole(try journal.record(fills("o", count: 100, from: index * 100))) }
        benchmark.stopMeasurement()
    }

    // The whole execution service per order: breaker check, journal row, paper execution, completion
    // transaction (order, fills, position, daily stats), metrics.
    Benchmark("execution service: breaker + journal + paper + completion, per order") { benchmark in
        var settings = PaperExecutor<ContinuousClock>.Settings()
        settings.latency = .zero ... .zero
        settings.startingCash = Dollars(micros: .max / 4)
        let paper = PaperExecutor(books: StaticBooks(book: deepBook()), clock: ContinuousClock(), settings: settings)
        var limits = RiskLimits()
        limits.maxDailyTrades = .max
        limits.maxOrdersPerMinute = .max
        limits.minTimeBetweenOrders = .zero
        limits.maxDailyVolume = Contracts(hundredths: .max / 4)
        limits.maxPositionPerEvent = Contracts(hundredths: .max / 4)
        limits.maxPositionSize = Contracts(hundredths: .max / 4)
        guard let journal = try? Journal(path: dir.path + "/service-\(UUID().uuidString).sqlite"),
              let service = try? ExecutionService(executor: paper, journal: journal, mode: .paper,
                                                  breaker: BreakerSettings(limits: limits, maxTotalPosition: Contracts(hundredths: .max / 4))) else { return }
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            blackHole(await service.execute(OrderTicket(request: request("s-\(index)"), eventTicker: "KXNFL-26JAN11", expectedPrice: nil)))
        }
        benchmark.stopMeasurement()
    }
}
