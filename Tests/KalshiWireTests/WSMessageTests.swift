import ExecutorTesting
import Foundation
import Markets
import Testing
@testable import KalshiWire

@Suite("WebSocket messages")
struct WSMessageTests {
    func decode(_ json: String) throws -> WSInbound { try WSInbound.decode(Data(json.utf8)) }

    @Test("orderbook_delta: fast path, keys in any order, numbers as JSON numbers, escapes via the general decoder")
    func delta() throws {
        let expected = WSInbound.delta(sid: 2, seq: 3, WSOrderbookDelta(marketTicker: "KX-1", price: price("0.96"), delta: contracts("-54"), side: .yes, tsMs: 1_700_000_000_000))
        let canonical = #"{"type":"orderbook_delta","sid":2,"seq":3,"msg":{"market_ticker":"KX-1","market_id":"9b0f","price_dollars":"0.960","delta_fp":"-54.00","side":"yes","ts":"2026-01-01T00:00:00Z","ts_ms":1700000000000}}"#
        #expect(WSFastDelta.parse(Data(canonical.utf8)) == expected)
        #expect(try decode(canonical) == expected)
        let reordered = #"{ "msg": {"ts_ms":1700000000000, "side":"yes", "delta_fp":-54, "price_dollars":0.96, "market_ticker":"KX-1"}, "seq": 3, "sid": 2, "type": "orderbook_delta" }"#
        #expect(try decode(reordered) == expected)
        let escaped = #"{"type":"orderbook_delta","sid":2,"seq":3,"msg":{"market_ticker":"KX\u002d1","price_dollars":"0.96","delta_fp":"-54.00","side":"yes","ts_ms":1700000000000}}"#
        #expect(WSFastDelta.parse(Data(escaped.utf8)) == nil)
        #expect(try decode(escaped) == expected, "the general decoder handles what the fast path declines")
    }

    static let userOrderFrames = [
        #"{"type":"user_order","sid":14,"msg":{"order_id":"o1","user_id":"u","ticker":"KX-1","exchange_index":0,"status":"resting","side":"yes","is_yes":true,"outcome_side":"yes","book_side":"bid","yes_price_dollars":"0.350000","fill_count_fp":"0.00","remaining_count_fp":"10.00","initial_count_fp":"10.00","taker_fill_cost_dollars":"0.000000","client_order_id":"c1","created_ts_ms":1,"last_update_reason":"Trade"}}"#,
        #"{"msg":{"client_order_id":"c\u00e92","initial_count_fp":2.5,"remaining_count_fp":0,"fill_count_fp":"2.50","yes_price_dollars":0.05,"book_side":"ask","outcome_side":"no","status":"executed","ticker":"KX-2","order_id":"o2","last_update_reason":null},"seq":4,"id":null,"sid":3,"type":"user_order"}"#,
        #"{"type":"user_order","sid":1,"msg":{"order_id":"o3","ticker":"KX","status":"canceled","outcome_side":"yes","book_side":"bid","yes_price_dollars":"0.10","fill_count_fp":"0","remaining_count_fp":"0","initial_count_fp":"1","client_order_id":"c3"}}"#,
    ]

    @Test("user_order: the fast path reads what the general decoder reads", arguments: userOrderFrames)
    func userOrderFast(json: String) throws {
        let general = try WSInbound.decodeGeneral(Data(json.utf8))
        #expect(WSInbound.fastUserOrder(Data(json.utf8)) == general)
        #expect(try decode(json) == general)
    }

    @Test("user_order: the simulator's frames take the fast path")
    func userOrderFromSimulator() throws {
        let general = try WSInbound.decodeGeneral(Data(Self.userOrderFrames[0].utf8))
        guard case let .userOrder(_, order) = general else { Issue.record("not a user_order"); return }
        let frame = WSOutbound.encode("user_order", sid: 9, msg: order)
        #expect(WSInbound.fastUserOrder(frame) == .userOrder(sid: 9, order), "\(String(decoding: frame, as: UTF8.self))")
    }

    @Test("user_order: the fast path declines what the general decoder refuses or reads another way", arguments: [
        #"{"type":"user_order","sid":1,"msg":{"order_id":"o","ticker":"KX","status":"parked","outcome_side":"yes","book_side":"bid","yes_price_dollars":"0.10","fill_count_fp":"0","remaining_count_fp":"0","initial_count_fp":"1","client_order_id":"c"}}"#,
        #"{"type":"user_order","sid":1,"msg":{"order_id":"o","ticker":"KX","status":"resting","outcome_side":"yes","book_side":"bid","yes_price_dollars":"0.10","fill_count_fp":"0","remaining_count_fp":"0","initial_count_fp":"1"}}"#,
        #"{"type":"user_order","sid":1,"id":"7","msg":{"order_id":"o","ticker":"KX","status":"resting","outcome_side":"yes","book_side":"bid","yes_price_dollars":"0.10","fill_count_fp":"0","remaining_count_fp":"0","initial_count_fp":"1","client_order_id":"c"}}"#,
        #"{"type":"user_order","sid":1.5,"msg":{"order_id":"o","ticker":"KX","status":"resting","outcome_side":"yes","book_side":"bid","yes_price_dollars":"0.10","fill_count_fp":"0","remaining_count_fp":"0","initial_count_fp":"1","client_order_id":"c"}}"#,
        #"{"type":"user_order","sid":1,"msg":{"order_id":"o","ticker":"KX","status":"resting","outcome_side":"yes","book_side":"bid","yes_price_dollars":"ten","fill_count_fp":"0","remaining_count_fp":"0","initial_count_fp":"1","client_order_id":"c"}}"#,
    ])
    func userOrderRefused(json: String) {
        #expect(WSInbound.fastUserOrder(Data(json.utf8)) == nil)
        #expect(throws: WSDecodingError.self) { try decode(json) }
    }

    @Test("malformed frames are errors naming the problem", arguments: [
        "", "not json", "{}", #"{"type":"orderbook_delta","sid":2,"msg":{}}"#,
        #"{"type":"orderbook_delta","sid":2,"seq":3,"msg":{"market_ticker":"KX","price_dollars":"1.5","delta_fp":"1","side":"yes"}}"#,
        #"{"type":"orderbook_delta","sid":2,"seq":3,"msg":{"market_ticker":"KX","price_dollars":"0.5","delta_fp":"1e2","side":"yes"}}"#,
        #"{"type":"orderbook_delta","sid":2,"seq":3,"msg":{"market_ticker":"KX","price_dollars":"0.5","delta_fp":"1","side":"maybe"}}"#,
        #"{"type":"orderbook_snapshot","sid":1,"msg":{"market_ticker":"KX"}}"#,
    ])
    func malformed(json: String) {
        #expect(throws: WSDecodingError.self) { try decode(json) }
    }

    @Test("snapshot with an empty side omitted; NO side on the YES scale converts back")
    func snapshot() throws {
        let json = #"{"type":"orderbook_snapshot","sid":2,"seq":2,"msg":{"market_ticker":"KX-1","market_id":"x","yes_dollars_fp":[["0.08","300.00"],["0.22","333.00"]]}}"#
        guard case let .snapshot(sid, seq, id, body) = try decode(json) else { Issue.record("not a snapshot"); return }
        #expect(sid == 2 && seq == 2 && id == nil)
        let book = try body.orderBook(yesPriceScale: false)
        #expect(book.bestBid(.yes) == BookLevel(price: price("0.22"), size: contracts("333")))
        #expect(book.noBids.isEmpty)
        let yesScale = WSOrderbookSnapshot(marketTicker: "KX", yes: [], no: [PriceLevelFP(price: price("0.70"), count: contracts("5"))])
        #expect(try yesScale.orderBook(yesPriceScale: true).bestBid(.no)?.price == price("0.30"))
        #expect(try yesScale.orderBook(yesPriceScale: false).bestBid(.no)?.price == price("0.70"))
    }

    @Test("acks, errors and subscription lists")
    func control() throws {
        #expect(try decode(#"{"id":1,"type":"subscribed","msg":{"channel":"orderbook_delta","sid":1}}"#) == .subscribed(id: 1, channel: "orderbook_delta", sid: 1))
        #expect(try decode(#"{"id":4,"type":"error","msg":{"code":10,"msg":"channel error"}}"#) == .error(id: 4, sid: nil, code: 10, message: "channel error"))
        #expect(try decode(#"{"id":5,"sid":1,"seq":9,"type":"ok","msg":{"market_tickers":["A","B"]}}"#) == .ok(id: 5, sid: 1, marketTickers: ["A", "B"]))
        #expect(try decode(#"{"id":6,"type":"ok","msg":[{"channel":"ticker","sid":3}]}"#) == .subscriptions(id: 6, [WSSubscriptionInfo(channel: "ticker", sid: 3)]))
        #expect(try decode(#"{"id":7,"sid":1,"seq":2,"type":"unsubscribed"}"#) == .unsubscribed(id: 7, sid: 1))
        #expect(try decode(#"{"type":"event_lifecycle","sid":1,"seq":1,"msg":{}}"#) == .other(type: "event_lifecycle"))
        #expect(WSErrorCode.isTerminal(10) && WSErrorCode.isTerminal(25) && !WSErrorCode.isTerminal(7))
    }

    @Test("channel payloads from the AsyncAPI shapes")
    func payloads() throws {
        let fill = #"{"type":"fill","sid":13,"msg":{"trade_id":"d91bc706","order_id":"ee587a1c","market_ticker":"KX-1","exchange_index":0,"is_taker":true,"side":"yes","yes_price_dollars":"0.75","count_fp":"278.00","fee_cost":"1.0200","action":"buy","outcome_side":"yes","book_side":"bid","ts":1671899397,"ts_ms":1671899397000,"post_position_fp":"500.00","purchased_side":"yes"}}"#
        guard case let .fill(_, body) = try decode(fill) else { Issue.record("not a fill"); return }
        let fee = try Dollars(parsing: "1.02")
        #expect(body.tradeID == "d91bc706" && body.countFP == contracts("278") && body.feeCost == fee)
        let order = #"{"type":"user_order","sid":14,"msg":{"order_id":"o1","user_id":"u","ticker":"KX-1","exchange_index":0,"status":"resting","side":"yes","is_yes":true,"outcome_side":"yes","book_side":"bid","yes_price_dollars":"0.350000","fill_count_fp":"0.00","remaining_count_fp":"10.00","initial_count_fp":"10.00","taker_fill_cost_dollars":"0.000000","maker_fill_cost_dollars":"0.000000","taker_fees_dollars":"0.000000","maker_fees_dollars":"0.000000","client_order_id":"c1","created_time":"x","created_ts_ms":1,"last_update_reason":"Trade"}}"#
        guard case let .userOrder(_, userOrder) = try decode(order) else { Issue.record("not a user_order"); return }
        #expect(userOrder.status == .resting && userOrder.lastUpdateReason == "Trade")
        let ticker = #"{"type":"ticker","sid":11,"msg":{"market_ticker":"KX-1","market_id":"m","price_dollars":"0.48","yes_bid_dollars":"0.45","yes_ask_dollars":"0.53","volume_fp":"33896.00","open_interest_fp":"20422.00","dollar_volume":16948,"dollar_open_interest":10211,"yes_bid_size_fp":"300.00","yes_ask_size_fp":"150.00","last_trade_size_fp":"25.00","ts":1669149841,"ts_ms":1669149841000,"time":"t"}}"#
        guard case let .ticker(_, tick) = try decode(ticker) else { Issue.record("not a ticker"); return }
        #expect(tick.yesBidDollars == (try Dollars(parsing: "0.45")))
        let lifecycle = #"{"type":"market_lifecycle_v2","sid":5,"seq":7,"msg":{"market_ticker":"KX-1","event_type":"price_level_structure_updated","price_level_structure":"deci_cent","price_ranges":[{"start":"0.00","end":"1.00","step":"0.001"}]}}"#
        guard case let .lifecycle(_, seq, event) = try decode(lifecycle) else { Issue.record("not lifecycle"); return }
        #expect(seq == 7)
        #expect(try PriceGrid(wire: event.priceRanges ?? []) == .deciCent)
        let position = #"{"type":"market_position","sid":14,"msg":{"user_id":"u","market_ticker":"KX-1","position_fp":"-4.00","position_cost_dollars":"2.400000","realized_pnl_dollars":"0.000000","fees_paid_dollars":"0.100000","position_fee_cost_dollars":"0.1","volume_fp":"4.00"}}"#
        guard case let .marketPosition(_, held) = try decode(position) else { Issue.record("not a position"); return }
        #expect(held.positionFP == contracts("-4"))
    }

    @Test("the simulator's encoder produces what the decoder reads")
    func roundTrip() throws {
        #expect(try WSInbound.decode(WSOutbound.subscribed(id: 3, channel: .trade, sid: 9)) == .subscribed(id: 3, channel: "trade", sid: 9))
        #expect(try WSInbound.decode(WSOutbound.error(id: 3, code: 8, message: "unknown channel")) == .error(id: 3, sid: nil, code: 8, message: "unknown channel"))
        let delta = WSOrderbookDelta(marketTicker: "KX", price: price("0.5"), delta: contracts("-1.25"), side: .no, tsMs: 5)
        #expect(try WSInbound.decode(WSOutbound.encode("orderbook_delta", sid: 4, seq: 10, msg: delta)) == .delta(sid: 4, seq: 10, delta))
        let command = WSCommand(id: 1, cmd: .updateSubscription, params: WSParams(marketTickers: ["A"], sid: 4, action: "get_snapshot"))
        let text = String(decoding: try KalshiJSON.encoder().encode(command), as: UTF8.self)
        #expect(text.contains(#""cmd":"update_subscription""#) && text.contains(#""action":"get_snapshot""#) && !text.contains("channels"))
    }
}
