// swift-tools-version: 6.2
import PackageDescription

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
                .product(name: "KalshiWire", package: "prediction-executor"),
                .product(name: "TradingClient", package: "prediction-executor"),
                .product(name: "ExchangeSim", package: "prediction-executor"),
                .product(name: "ExecutorTesting", package: "prediction-executor"),
                .product(name: "Markets", package: "prediction-executor"),
            ],
            path: "Benchmarks/OrderEntry",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
