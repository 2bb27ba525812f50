import Benchmark
import Foundation
import Markets
import PolymarketWire

/// Polymarket's hot paths without I/O: an order built, checked, signed (EIP-712, secp256k1), encoded as
/// its POST body and HMAC'd for L2; and the market channel's `price_change` frames parsed and applied to
/// exact local books.

let signer = try! EthereumSigner(privateKeyHex: "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")
let builder = try! PolyOrderBuilder(signer: signer)
let token = UInt256(decimal: "71321045679252212594626385532706912750332728571942532289631379312455583992563")!
let market = PolyOrderBuilder.Market(tokenID: token, tick: .cent, negRisk: false)
let credentials = PolyAPICredentials(apiKey: "a3b1f7c2-5d4e-4f60-9b8a-0c1d2e3f4a5b", secret: "ZwAdJKvoYRlEKDkNMwd5BuwNNtg93kNaR_oU2HrfVvc=",
                                     passphrase: "5f2b7c9d1e3a4b6c8d0e2f4a6b8c0d1e")

/// `price_change` frames for 100 tokens, 40 levels a side, sizes moving, as the market channel sends them.
func makeFrames(count: Int, tokens: Int = 100) -> [Data] {
    (0..<count).map { index in
        let asset = 1_000 + index % tokens
        let level = 10 + (index / tokens) % 40
        let side = index % 2 == 0 ? "BUY" : "SELL"
        let price = side == "BUY" ? level : level + 45
        let size = 100 + (index / (tokens * 40)) % 50
        let json = "{\"market\":\"0x5f65177b394277fd294cd75650044e32ba009a95022d88a0c1d565897d72f8f1\",\"price_changes\":[{\"asset_id\":\"\(asset)\","
            + "\"price\":\"0.\(price)\",\"size\":\"\(size)\",\"side\":\"\(side)\",\"hash\":\"56621a121a47ed9333273e21c83b660cff37ae50\","
            + "\"best_bid\":\"0.49\",\"best_ask\":\"0.55\"}],\"timestamp\":\"1757908892351\",\"event_type\":\"price_change\"}"
        return Data(json.utf8)
    }
}

func makeBooks(tokens: Int = 100) -> [String: PolyLocalBook] {
    var books: [String: PolyLocalBook] = [:]
    for index in 0..<tokens {
        var book = PolyLocalBook(assetID: String(1_000 + index), market: "0x5f65")
        try? book.replace(bids: (10..<50).map { PolyLevel(price: "0.\($0)", size: "100") }, asks: (55..<95).map { PolyLevel(price: "0.\($0)", size: "100") })
        books[book.assetID] = book
    }
    return books
}

let frames = makeFrames(count: 200_000)

/// Enough prepared nonces for every sample of the prepared-nonce benchmark (warm-up included).
let preparedNonces: PreparedNonces = {
    let nonces = PreparedNonces(signer: signer, capacity: 21_000, background: false)
    nonces.fill()
    return nonces
}()
let preparedBuilder = try! PolyOrderBuilder(signer: signer, nonces: preparedNonces)

/// One order as the executor makes it: built, checked, signed, its `POST /order` body and L2 headers.
func orderRequest(_ builder: PolyOrderBuilder, salt: UInt64) throws -> [PolyHeader] {
    let order = try builder.order(market, side: .buy, price: Dollars(micros: 450_000), size: Dollars(micros: 10_000_000), type: .fak,
                                  salt: UInt256(salt), timestamp: 1_767_000_000_000, nowMilliseconds: 1_767_000_000_000)
    let body = order.postBody(owner: credentials.apiKey, orderType: .fak)
    return try PolyL2.headers(address: signer.address, credentials: credentials, timestamp: "1767000000", method: "POST", path: "/order",
                              body: Array(body.utf8))
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput, .mallocCountTotal], timeUnits: .microseconds,
                                           warmupIterations: 50, maxDuration: .seconds(10), maxIterations: 20_000)

    Benchmark("Polymarket order: build + check + sign + POST body + L2 HMAC") { benchmark in
        for index in benchmark.scaledIterations { blackHole(try orderRequest(builder, salt: UInt64(index) + 2)) }
    }

    Benchmark("Polymarket order (prepared nonce, the executor's path): build + check + sign + POST body + L2 HMAC") { benchmark in
        // One order per sample, like the deterministic benchmark above, from a reserve filled once before
        // any sample (in a run a background thread fills it; preparing a nonce is measured on its own below).
        for index in benchmark.scaledIterations { blackHole(try orderRequest(preparedBuilder, salt: UInt64(index) + 2)) }
        precondition(preparedNonces.fallbacks == 0, "every order of the run had a prepared nonce")
    }

    Benchmark("Polymarket order: 32 nonces prepared (k·G, one batch k⁻¹, k⁻¹·r·d; background work) and used",
              configuration: .init(metrics: [.wallClock, .throughput], timeUnits: .microseconds, warmupIterations: 2, maxDuration: .seconds(10),
                                   maxIterations: 500)) { benchmark in
        let nonces = PreparedNonces(signer: signer, capacity: 32, background: false)
        let digest = Keccak256.hash("digest")
        for _ in benchmark.scaledIterations {
            nonces.fill()
            for _ in 0..<32 { blackHole(nonces.sign(digest: digest)) }
        }
    }

    Benchmark("Polymarket order: secp256k1 recoverable signature alone") { benchmark in
        let digest = Keccak256.hash("digest")
        for _ in benchmark.scaledIterations { blackHole(signer.sign(digest: digest)) }
    }

    Benchmark("Polymarket order: EIP-712 struct hash + digest (Keccak-256) alone") { benchmark in
        let order = PolyOrder(salt: UInt256(7), maker: signer.address, signer: signer.address, tokenID: token, makerAmount: 4_500_000, takerAmount: 10_000_000,
                              side: .buy, signatureType: .eoa, timestamp: 1_767_000_000_000)
        let separator = PolymarketExchange.ctf.domain(chain: .polygon).separator
        for _ in benchmark.scaledIterations { blackHole(order.digest(domainSeparator: separator)) }
    }

    Benchmark("price_change: parse + apply 200k frames to exact local books (one core)",
              configuration: .init(metrics: [.wallClock, .throughput], timeUnits: .milliseconds, warmupIterations: 2, maxDuration: .seconds(10),
                                   maxIterations: 30)) { benchmark in
        var books = makeBooks()
        var reader = PolyFastPriceChange()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            for frame in frames {
                guard let message = reader.parse(frame) else { continue }
                for change in message.priceChanges {
                    // In place, as PolyMarketData applies them (the values view's index subscript does not move the book out).
                    guard let slot = books.index(forKey: change.assetID) else { continue }
                    try books.values[slot].apply(change)
                }
            }
        }
        benchmark.stopMeasurement()
        blackHole(books)
    }
}
