import Benchmark
import DataClient
import Foundation
import KalshiWire
import Markets

/// `orderbook_delta` frames as Kalshi sends them: 100 markets on one subscription, sizes going up and down
/// at 40 price levels per side, every level kept positive so every delta applies.
func makeFrames(count: Int, markets: Int = 100) -> [Data] {
    var frames: [Data] = []
    frames.reserveCapacity(count)
    var rng = SystemRandomNumberGenerator()
    for seq in 0..<count {
        let market = seq % markets
        let side = seq % 2 == 0 ? "yes" : "no"
        let level = 10 + (seq / markets) % 40
        let up = (seq / (markets * 40)) % 2 == 0
        let json = "{\"type\":\"orderbook_delta\",\"sid\":1,\"seq\":\(seq + 1),\"msg\":{\"market_ticker\":\"KXBENCH-26JAN11-M\(market)\","
            + "\"market_id\":\"00000000-0000-0000-0000-000000000000\",\"price_dollars\":\"0.\(level)00\",\"delta_fp\":\"\(up ? "" : "-")1.00\","
            + "\"side\":\"\(side)\",\"ts_ms\":\(1_767_000_000_000 + Int.random(in: 0..<1_000, using: &rng))}}"
        frames.append(Data(json.utf8))
    }
    return frames
}

/// Books that can absorb the frames above (every level starts with 1,000 contracts).
func makeBooks(markets: Int = 100) -> [String: OrderBook] {
    var books: [String: OrderBook] = [:]
    for market in 0..<markets {
        let levels = (10..<50).map { BookLevel(price: Price(micros: Int64($0) * 10_000)!, size: Contracts(hundredths: 100_000)) }
        books["KXBENCH-26JAN11-M\(market)"] = try? OrderBook(ticker: "KXBENCH-26JAN11-M\(market)", yesBids: levels, noBids: levels)
    }
    return books
}



let frames = makeFrames(count: 200_000)

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput], timeUnits: .milliseconds,
                                           warmupIterations: 2, maxDuration: .seconds(10), maxIterations: 30)

    Benchmark("orderbook_delta: parse 200k frames (one core)") { benchmark in
        for _ in benchmark.scaledIterations {
            for frame in frames { blackHole(try WSInbound.decode(frame)) }
        }
    }

    Benchmark("orderbook_delta: parse + apply 200k frames to local books (one core)") { benchmark in
        var books = makeBooks()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            for frame in frames {
                guard case let .delta(_, _, delta) = try WSInbound.decode(frame) else { continue }
                try books[delta.marketTicker]?.apply(delta: delta.deltaFP, at: delta.priceDollars, side: delta.side)
            }
        }
        benchmark.stopMeasurement()
        blackHole(books)
    }

    Benchmark("orderbook_delta: parse + sequence-checked apply through OrderBookStore (actor)") { benchmark in
        let store = OrderBookStore()
        for book in makeBooks().values { await store.applySnapshot(book, sid: 1, seq: 0) }
        benchmark.startMeasurement()
        for frame in frames {
            guard case let .delta(sid, seq, delta) = try WSInbound.decode(frame) else { continue }
            blackHole(await store.applyDelta(ticker: delta.marketTicker, side: delta.side, price: delta.priceDollars,
                                             delta: delta.deltaFP, sid: sid, seq: seq))
        }
        benchmark.stopMeasurement()
    }

    // Live heap of the books: bytes allocated minus bytes freed while they are built, measured with the
    // store still alive (so nothing it holds is counted as freed).
    Benchmark("memory: 1,000 subscribed books, 25 levels per side",
              configuration: .init(metrics: [.memoryLeakedBytes, .mallocCountTotal], maxIterations: 3)) { benchmark in
        let store = OrderBookStore()
        benchmark.startMeasurement()
        for market in 0..<1_000 {
            let levels = (1..<26).map { BookLevel(price: Price(micros: Int64($0) * 10_000)!, size: Contracts(hundredths: 12_345)) }
            if let book = try? OrderBook(ticker: "KXMEM-26JAN11-M\(market)", yesBids: levels, noBids: levels) {
                await store.applySnapshot(book, sid: 1, seq: Int64(market))
            }
        }
        benchmark.stopMeasurement()
        blackHole(store)
    }
}
