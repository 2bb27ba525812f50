import Foundation
import Markets
import Testing
@testable import KalshiWire

@Suite("Wire models decode the spec's examples")
struct WireModelTests {
    @Test("orderbook_fp: string pairs, numbers tolerated, best bid last")
    func orderbook() throws {
        let json = #"{"orderbook_fp":{"yes_dollars":[["0.1500","100.00"],["0.1600","5.00"]],"no_dollars":[[0.8,"12"]]}}"#
        let response = try JSONDecoder().decode(GetMarketOrderbookResponse.self, from: Data(json.utf8))
        let book = try response.orderbookFP.orderBook(ticker: "KX")
        #expect(book.bestBid(.yes)?.price == (try Price(parsing: "0.16")))
        #expect(book.bestAsk(.yes)?.price == (try Price(parsing: "0.20")))
        #expect(book.noBids.first?.size == (try Contracts(parsing: "12")))
        // And back to the wire, as the simulator serves it.
        let encoded = String(decoding: try JSONEncoder().encode(OrderbookFP(book)), as: UTF8.self)
        #expect(encoded.contains(#"["0.15","100.00"]"#))
    }

    @Test("malformed levels are refused", arguments: [
        #"{"orderbook_fp":{"yes_dollars":[["0.15"]],"no_dollars":[]}}"#,
        #"{"orderbook_fp":{"yes_dollars":[["0.15","1","2"]],"no_dollars":[]}}"#,
        #"{"orderbook_fp":{"yes_dollars":[["1.50","1"]],"no_dollars":[]}}"#,
        #"{"orderbook_fp":{"yes_dollars":[["0.15","1e2"]],"no_dollars":[]}}"#,
        #"{"orderbook_fp":{"yes_dollars":[]}}"#,
    ])
    func malformed(json: String) {
        #expect(throws: (any Error).self) { try JSONDecoder().decode(GetMarketOrderbookResponse.self, from: Data(json.utf8)) }
    }

    @Test("CreateOrderV2Request: the spec example round-trips")
    func createOrderRequest() throws {
        let example = #"""
            {"ticker":"HIGHNY-24JAN01-T60","client_order_id":"8c35ecb3-328f-4f52-8c7c-0f4b9862f8d1","side":"bid",
             "count":"10.00","price":"0.5600","time_in_force":"good_till_canceled",
             "self_trade_prevention_type":"taker_at_cross","post_only":false,"cancel_order_on_pause":false,
             "reduce_only":false,"subaccount":0,"exchange_index":0}
            """#
        let request = try JSONDecoder().decode(CreateOrderV2Request.self, from: Data(example.utf8))
        #expect(request.side == .bid)
        #expect(request.price == (try Price(parsing: "0.56")))
        #expect(request.count == (try Contracts.whole(10)))
        #expect(request.timeInForce == .goodTillCanceled)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let text = String(decoding: try encoder.encode(request), as: UTF8.self)
        #expect(text.contains(#""price":"0.56""#))
        #expect(text.contains(#""count":"10.00""#))
        #expect(!text.contains("expiration_time"), "absent optionals are omitted")
    }

    @Test("CreateOrderV2Response: the spec example, with and without fills")
    func createOrderResponse() throws {
        let example = #"{"order_id":"3b23c1c7","client_order_id":"8c35ecb3","fill_count":"0.00","remaining_count":"10.00","ts_ms":1715793600123}"#
        let response = try JSONDecoder().decode(CreateOrderV2Response.self, from: Data(example.utf8))
        #expect(response.fillCount == .zero)
        #expect(response.averageFillPrice == nil)
        let filled = #"{"order_id":"x","fill_count":"4.00","remaining_count":"0.00","average_fill_price":"0.5525","average_fee_paid":"0.0175","ts_ms":1,"unknown_field":true}"#
        let decoded = try JSONDecoder().decode(CreateOrderV2Response.self, from: Data(filled.utf8))
        #expect(decoded.averageFillPrice == (try Dollars(parsing: "0.5525")))
        #expect(throws: (any Error).self) { try JSONDecoder().decode(CreateOrderV2Response.self, from: Data(#"{"order_id":"x"}"#.utf8)) }
    }

    @Test("CreateOrderV2Response's hand-written reader agrees with Codable", arguments: [
        #"{"order_id":"3b23c1c7","client_order_id":"8c35ecb3","fill_count":"0.00","remaining_count":"10.00","ts_ms":1715793600123}"#,
        #"{"order_id":"x","fill_count":"4.00","remaining_count":"0.00","average_fill_price":"0.5525","average_fee_paid":"0.0175","ts_ms":1,"unknown_field":{"a":[1,2]}}"#,
        #"{"ts_ms":7,"remaining_count":1,"fill_count":2.5,"order_id":"n","client_order_id":null,"average_fill_price":null}"#,
        #" { "order_id" : "\u00e9\"q" , "fill_count" : "1" , "remaining_count" : "0" , "ts_ms" : -1 } "#,
    ])
    func createOrderResponseReader(json: String) throws {
        let decoded = try JSONDecoder().decode(CreateOrderV2Response.self, from: Data(json.utf8))
        #expect(try CreateOrderV2Response(json: Data(json.utf8)) == decoded)
    }

    @Test("CreateOrderV2Response's reader refuses what Codable refuses, naming the field", arguments: [
        (#"{"order_id":"x","fill_count":"0","remaining_count":"1"}"#, "field ts_ms: missing"),
        (#"{"fill_count":"0","remaining_count":"1","ts_ms":1}"#, "field order_id: missing"),
        (#"{"order_id":"x","fill_count":"abc","remaining_count":"1","ts_ms":1}"#, "field fill_count: "),
        (#"{"order_id":"x","fill_count":"0","remaining_count":true,"ts_ms":1}"#, "field remaining_count: expected a decimal, found a boolean"),
        (#"{"order_id":7,"fill_count":"0","remaining_count":"1","ts_ms":1}"#, "field order_id: expected a string, found a number"),
        (#"{"order_id":"x","fill_count":"0","remaining_count":"1","ts_ms":1.5}"#, "field ts_ms: expected an integer"),
        (#"[1]"#, "expected an object"),
        (#"{"order_id":"x","#, "(root): invalid JSON"),
    ])
    func createOrderResponseRefused(json: String, message: String) {
        Self.expectRefused(json, message) { (data) throws(AnswerReadError) in try CreateOrderV2Response(json: data) }
    }

    /// `read` refuses `json` as `JSONDecoder` refuses it for `T`, with an error containing `message`.
    static func expectRefused<T: Decodable>(_ json: String, _ message: String, _ read: (Data) throws(AnswerReadError) -> T) {
        #expect(throws: (any Error).self) { try JSONDecoder().decode(T.self, from: Data(json.utf8)) }
        do {
            _ = try read(Data(json.utf8))
            Issue.record("accepted \(json)")
        } catch {
            #expect(error.description.contains(message), "\(error.description)")
        }
    }

    @Test("GetBalanceResponse's hand-written reader agrees with Codable", arguments: [
        #"{"balance":1,"balance_breakdown":[{"balance":"0.5600","exchange_index":0}],"balance_dollars":"0.5600","portfolio_value":2,"updated_ts":1715793600}"#,
        #" { "updated_ts" : -3 , "portfolio_value" : 0 , "balance_dollars" : 12.3456 , "balance" : 1234 , "extra" : null } "#,
    ])
    func balanceReader(json: String) throws {
        let decoded = try JSONDecoder().decode(GetBalanceResponse.self, from: Data(json.utf8))
        #expect(try GetBalanceResponse(json: Data(json.utf8)) == decoded)
    }

    @Test("GetBalanceResponse's reader refuses what Codable refuses, naming the field", arguments: [
        (#"{"balance":1,"balance_dollars":"0.01","portfolio_value":2}"#, "field updated_ts: missing"),
        (#"{"balance":1,"balance_dollars":null,"portfolio_value":2,"updated_ts":1}"#, "field balance_dollars: missing"),
        (#"{"balance":"1","balance_dollars":"0.01","portfolio_value":2,"updated_ts":1}"#, "field balance: expected an integer, found a string"),
        (#"{"balance":1,"balance_dollars":"ten","portfolio_value":2,"updated_ts":1}"#, "field balance_dollars: "),
        (#"{"balance":1,"balance_dollars":"0.01","portfolio_value":2.5,"updated_ts":1}"#, "field portfolio_value: expected an integer"),
    ])
    func balanceRefused(json: String, message: String) {
        Self.expectRefused(json, message) { (data) throws(AnswerReadError) in try GetBalanceResponse(json: data) }
    }

    @Test("price_ranges become a grid")
    func priceRanges() throws {
        let ranges = try JSONDecoder().decode([PriceRangeWire].self, from: Data(#"[{"start":"0.00","end":"0.10","step":"0.001"},{"start":"0.10","end":"0.90","step":"0.01"},{"start":"0.90","end":"1.00","step":"0.001"}]"#.utf8))
        #expect(try PriceGrid(wire: ranges) == PriceGrid.taperedDeciCent)
    }
}

@Suite("Request paths and queries are percent-encoded per RFC 3986")
struct PercentEncodingTests {
    @Test("unreserved bytes pass; everything else, non-ASCII letters included, becomes %XX of its UTF-8")
    func encoding() {
        #expect(KalshiRequest.segment("KXNBA-26JAN11.LAL_x~1") == "KXNBA-26JAN11.LAL_x~1")
        #expect(KalshiRequest.segment("a b/c?d&e=f%") == "a%20b%2Fc%3Fd%26e%3Df%25")
        #expect(KalshiRequest.segment("é") == "%C3%A9")
        #expect(KalshiRequest.segment("") == "")
        let request = KalshiRequest(.get, "/portfolio/orders", query: [(name: "ticker", value: "KX-1"), (name: "cursor", value: "a+b=")])
        #expect(request.queryString == "ticker=KX-1&cursor=a%2Bb%3D")
        #expect(KalshiRequest(.get, "/portfolio/balance").queryString == "")
    }
}
