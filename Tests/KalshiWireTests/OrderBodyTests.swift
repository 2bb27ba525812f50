import Foundation
import KalshiWire
import Markets
import Testing

@Suite("Kalshi order body written by hand")
struct OrderBodyTests {
    static func request(_ generator: inout SplitMix64, ticker: String, clientOrderID: String?) -> CreateOrderV2Request {
        func maybe<T>(_ value: T) -> T? { generator.next() % 2 == 0 ? value : nil }
        let tifs = TimeInForce.allCases
        return CreateOrderV2Request(
            ticker: ticker, clientOrderID: clientOrderID, side: generator.next() % 2 == 0 ? .bid : .ask,
            count: Contracts(hundredths: Int64(generator.next() % 1_000_000) + 1), price: Price(micros: 10_000 * (Int64(generator.next() % 99) + 1)) ?? Price(micros: 500_000)!,
            timeInForce: tifs[Int(generator.next() % UInt64(tifs.count))], selfTradePreventionType: generator.next() % 2 == 0 ? .takerAtCross : .maker,
            expirationTime: maybe(Int64(generator.next() % 2_000_000_000)), postOnly: maybe(generator.next() % 2 == 0),
            reduceOnly: maybe(true), cancelOrderOnPause: maybe(false), subaccount: maybe(Int(generator.next() % 32)),
            orderGroupID: maybe("group-\(generator.next() % 100)"), exchangeIndex: maybe(-1))
    }

    @Test("1,000 seeded orders: the same JSON object JSONEncoder writes (keys, values, types), nil fields left out")
    func sameBytes() throws {
        var generator = SplitMix64(seed: 42)
        for index in 0..<1_000 {
            let request = Self.request(&generator, ticker: "KXNBA-26JAN11-LAL\(index % 7)", clientOrderID: index % 5 == 0 ? nil : "run-\(index)-a")
            let expected = try KalshiJSON.encoder().encode(request)
            // JSONEncoder's key order follows hashing on Linux: the objects are compared, not the bytes.
            let ours = try #require(try JSONSerialization.jsonObject(with: request.jsonBody) as? NSDictionary)
            let theirs = try #require(try JSONSerialization.jsonObject(with: expected) as? NSDictionary)
            #expect(ours == theirs, "\(String(decoding: request.jsonBody, as: UTF8.self))")
            #expect(try JSONDecoder().decode(CreateOrderV2Request.self, from: request.jsonBody) == request)
        }
    }

    @Test("quotes, backslashes, control characters, slashes and non-ASCII text survive: decoding the body gives the order back")
    func escaping() throws {
        var generator = SplitMix64(seed: 7)
        for text in ["a\"b", "back\\slash", "line\nfeed\r\t", "bell\u{07}\u{1F}", "sl/ash", "€ürö 日本", ""] {
            let request = Self.request(&generator, ticker: text, clientOrderID: text)
            let decoded = try JSONDecoder().decode(CreateOrderV2Request.self, from: request.jsonBody)
            #expect(decoded == request, "\(text.debugDescription)")
            #expect(JSONString.escaped(text) == String(String(decoding: try JSONEncoder().encode(text), as: UTF8.self).dropFirst().dropLast())
                        .replacingOccurrences(of: "\\/", with: "/"), "\(text.debugDescription)")
        }
    }
}
