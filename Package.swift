// swift-tools-version: 6.2
import PackageDescription

// Dependency direction (DESIGN.md §2):
//   run-executor → Coordinator → Execution → TradingClient → KalshiWire → Markets
//                             ├→ DataClient ───────────────┘
//                             └→ Config → KalshiWire, Markets
//   ExchangeSim → KalshiWire, Markets   (CLI and tests only; product code never imports it)
let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
]

let package = Package(
    name: "prediction-executor",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "run-executor", targets: ["RunExecutor"]),
        .library(name: "Markets", targets: ["Markets"]),
        .library(name: "Config", targets: ["Config"]),
        .library(name: "VenueTransport", targets: ["VenueTransport"]),
        .library(name: "KalshiWire", targets: ["KalshiWire"]),
        .library(name: "DataClient", targets: ["DataClient"]),
        .library(name: "TradingClient", targets: ["TradingClient"]),
        .library(name: "Execution", targets: ["Execution"]),
        .library(name: "KalshiVenue", targets: ["KalshiVenue"]),
        .library(name: "Coordinator", targets: ["Coordinator"]),
        .library(name: "Arbitrage", targets: ["Arbitrage"]),
        .library(name: "ExchangeSim", targets: ["ExchangeSim"]),
        .library(name: "PolymarketWire", targets: ["PolymarketWire"]),
        .library(name: "PolymarketClient", targets: ["PolymarketClient"]),
        .library(name: "PolymarketVenue", targets: ["PolymarketVenue"]),
        .library(name: "ExecutorTesting", targets: ["ExecutorTesting"]),
        .library(name: "PaperFidelity", targets: ["PaperFidelity"]),
        .library(name: "TraderLink", targets: ["TraderLink"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/hummingbird-project/swift-websocket", from: "1.6.2"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
    ],
    targets: [
        .target(name: "Markets", swiftSettings: strict),
        // RSA-PSS signing through the system OpenSSL (libssl-dev): about twice as fast as BoringSSL here.
        .target(name: "CRSASigner", linkerSettings: [.linkedLibrary("crypto")]),
        // HTTP plumbing both venues' clients share: the warm order lane and transport-error classification.
        .target(
            name: "VenueTransport",
            dependencies: [
                "Markets",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "KalshiWire",
            dependencies: [
                "Markets", "CRSASigner", "VenueTransport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "WSClient", package: "swift-websocket"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // Recoverable secp256k1 signatures through the system libsecp256k1 (libsecp256k1-dev).
        .systemLibrary(name: "CSecp256k1", pkgConfig: "libsecp256k1", providers: [.apt(["libsecp256k1-dev"])]),
        .target(
            name: "PolymarketWire",
            dependencies: ["Markets", "CSecp256k1", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict
        ),
        // Polymarket's REST client, Gamma discovery and WebSocket streams (local books, user events).
        .target(
            name: "PolymarketClient",
            dependencies: [
                "Markets", "PolymarketWire", "VenueTransport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "WSClient", package: "swift-websocket"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(name: "Config", dependencies: ["Markets", "KalshiWire", "PolymarketWire", .product(name: "TOMLKit", package: "TOMLKit")], swiftSettings: strict),
        .target(name: "DataClient", dependencies: ["Markets", "KalshiWire", .product(name: "Logging", package: "swift-log")], swiftSettings: strict),
        .target(name: "TradingClient", dependencies: ["Markets", "KalshiWire"], swiftSettings: strict),
        // The venue-neutral core: no venue's wire module, client or data feed.
        .target(
            name: "Execution",
            dependencies: [
                "Markets",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            swiftSettings: strict
        ),
        // The Kalshi adapter: its executor, ledger and reconciliation over KalshiWire and the trading client.
        .target(name: "KalshiVenue", dependencies: ["Execution", "Markets", "KalshiWire", "TradingClient"], swiftSettings: strict),
        // The Polymarket adapter: its executor and reconciliation over PolymarketClient.
        .target(name: "PolymarketVenue", dependencies: ["Execution", "Markets", "PolymarketWire", "PolymarketClient"], swiftSettings: strict),
        // Cross-venue arbitrage: legs, arb signals, the two-leg engine, pairs and the detector (venue-neutral).
        .target(name: "Arbitrage", dependencies: ["Markets", "Execution", .product(name: "TOMLKit", package: "TOMLKit")], swiftSettings: strict),
        .target(
            name: "Coordinator",
            dependencies: [
                "Markets", "Config", "DataClient", "TradingClient", "Execution", "KalshiVenue", "KalshiWire", "Arbitrage",
                "PolymarketWire", "PolymarketClient", "PolymarketVenue", "TraderLink", "VenueTransport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "ExchangeSim",
            dependencies: [
                "Markets", "KalshiWire", "PolymarketWire", "VenueTransport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "RunExecutor",
            dependencies: [
                "Arbitrage", "Config", "Coordinator", "ExchangeSim", "Markets", "KalshiWire", "DataClient", "TradingClient", "Execution", "KalshiVenue", "PolymarketWire", "PolymarketClient", "PolymarketVenue", "PaperFidelity", "VenueTransport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/run-executor",
            swiftSettings: strict
        ),
        // The controller ⇄ remote trader protocol: messages, mutual HMAC handshake, leg routing.
        .target(
            name: "TraderLink",
            dependencies: [
                "Markets", "Execution", "Arbitrage",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "WSClient", package: "swift-websocket"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // Paper against a mirrored demo venue: the fidelity experiment (`run-executor fidelity`).
        .target(
            name: "PaperFidelity",
            dependencies: ["Markets", "Execution", "KalshiVenue", "KalshiWire", "DataClient", "TradingClient", "ExchangeSim"],
            swiftSettings: strict
        ),
        // Fixtures, keys and helpers shared by every test target.
        .target(
            name: "ExecutorTesting",
            dependencies: [
                "KalshiWire", "ExchangeSim", "Markets", "DataClient", "PolymarketWire", "PolymarketClient", "VenueTransport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "WSClient", package: "swift-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: strict
        ),
        .testTarget(name: "MarketsTests", dependencies: ["Markets"], swiftSettings: strict),
        .testTarget(
            name: "TraderLinkTests",
            dependencies: [
                "TraderLink", "Markets", "Execution", "Arbitrage", "ExecutorTesting",
                .product(name: "WSClient", package: "swift-websocket"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "PolymarketWireTests", dependencies: ["PolymarketWire", "Markets", "ExecutorTesting", "CSecp256k1"], swiftSettings: strict),
        .testTarget(
            name: "KalshiWireTests",
            dependencies: ["KalshiWire", "Markets", "ExecutorTesting"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ConfigTests",
            dependencies: ["Config", "KalshiWire", "Markets", "ExecutorTesting"],
            swiftSettings: strict
        ),
        .testTarget(name: "DataClientTests", dependencies: ["DataClient", "Markets", "KalshiWire", "ExchangeSim", "ExecutorTesting"], swiftSettings: strict),
        .testTarget(name: "TradingClientTests", dependencies: ["TradingClient", "KalshiWire", "Markets", "ExchangeSim", "ExecutorTesting", "VenueTransport",
                                                                 .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "NIOCore", package: "swift-nio")], swiftSettings: strict),
        .testTarget(name: "ExecutionTests", dependencies: ["Execution", "KalshiVenue", "Markets", "TradingClient", "KalshiWire", "DataClient", "ExchangeSim", "ExecutorTesting",
                                                         .product(name: "GRDB", package: "GRDB.swift")], swiftSettings: strict),
        .testTarget(
            name: "CoordinatorTests",
            dependencies: ["Coordinator", "Config", "Markets", "ExecutorTesting", "DataClient", "ExchangeSim", "Execution", "KalshiVenue", "KalshiWire"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "PolymarketTests",
            dependencies: ["PolymarketClient", "PolymarketVenue", "PolymarketWire", "ExchangeSim", "Execution", "Markets", "ExecutorTesting"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ArbitrageTests",
            dependencies: ["Arbitrage", "Coordinator", "Config", "Execution", "Markets", "ExchangeSim", "ExecutorTesting", "KalshiWire", "PolymarketWire",
                           "PolymarketVenue", "VenueTransport"],
            swiftSettings: strict
        ),
        .testTarget(name: "ExchangeSimTests", dependencies: ["ExchangeSim", "Markets", "KalshiWire", "ExecutorTesting"], swiftSettings: strict),
        .testTarget(
            name: "RunExecutorTests",
            dependencies: [
                "RunExecutor", "ExecutorTesting", "KalshiWire", "TradingClient", "ExchangeSim", "Markets", "Execution", "PolymarketWire", "PolymarketClient",
                "TraderLink",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
    ]
)
