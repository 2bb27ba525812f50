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
