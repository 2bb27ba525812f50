// swift-tools-version: 6.2
import Foundation
import PackageDescription

// SwiftPM names a path dependency after its directory, so the root package's identity is whatever the
// checkout is called.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

// Benchmarks live in their own package so CI's test build does not compile the benchmark harness.
// Run from this directory:   swift package --disable-sandbox benchmark
let package = Package(
    name: "executor-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        .executableTarget(
            name: "OrderEntry",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "KalshiWire", package: root),
                .product(name: "TradingClient", package: root),
                .product(name: "ExchangeSim", package: root),
                .product(name: "ExecutorTesting", package: root),
                .product(name: "Execution", package: root),
                .product(name: "Markets", package: root),
            ],
            path: "Benchmarks/OrderEntry",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "ExecutionCore",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "DataClient", package: root),
                .product(name: "Execution", package: root),
                .product(name: "ExecutorTesting", package: root),
                .product(name: "Markets", package: root),
            ],
            path: "Benchmarks/ExecutionCore",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // A plain executable: client CPU per authenticated request against a separate-process simulator
        // (compare-sdk.sh runs it beside Kalshi's official Python SDK).
        .executableTarget(
            name: "ClientCPU",
            dependencies: [
                .product(name: "KalshiWire", package: root),
                .product(name: "Markets", package: root),
                .product(name: "TradingClient", package: root),
            ],
            path: "Benchmarks/ClientCPU",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        // A plain executable (not the benchmark harness): signal → order bytes percentiles at a steady rate.
        .executableTarget(
            name: "SignalLatency",
            dependencies: [
                .product(name: "Coordinator", package: root),
                .product(name: "DataClient", package: root),
                .product(name: "Execution", package: root),
                .product(name: "ExchangeSim", package: root),
                .product(name: "ExecutorTesting", package: root),
                .product(name: "KalshiWire", package: root),
                .product(name: "Markets", package: root),
                .product(name: "TradingClient", package: root),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            path: "Benchmarks/SignalLatency",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .executableTarget(
            name: "Polymarket",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "PolymarketWire", package: root),
                .product(name: "Markets", package: root),
            ],
            path: "Benchmarks/Polymarket",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // A plain executable: arbs through the engine on both in-process simulators (decision → both legs'
        // bytes at the venues, leg skew; paper throughput).
        .executableTarget(
            name: "ArbLatency",
            dependencies: [
                .product(name: "Arbitrage", package: root),
                .product(name: "Config", package: root),
                .product(name: "Coordinator", package: root),
                .product(name: "Execution", package: root),
                .product(name: "ExchangeSim", package: root),
                .product(name: "ExecutorTesting", package: root),
                .product(name: "Markets", package: root),
                .product(name: "PolymarketVenue", package: root),
                .product(name: "PolymarketWire", package: root),
                .product(name: "KalshiWire", package: root),
                .product(name: "VenueTransport", package: root),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            path: "Benchmarks/ArbLatency",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .executableTarget(
            name: "MarketData",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "KalshiWire", package: root),
                .product(name: "DataClient", package: root),
                .product(name: "Markets", package: root),
            ],
            path: "Benchmarks/MarketData",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
