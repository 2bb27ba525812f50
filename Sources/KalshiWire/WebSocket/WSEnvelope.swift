import Foundation
import Markets

/// One `list_subscriptions` entry.
public struct WSSubscriptionInfo: Sendable, Hashable, Codable {
    public var channel: String
    public var sid: Int
    public init(channel: String, sid: Int) {
        self.channel = channel
        self.sid = sid
    }
}

/// Everything the Kalshi WebSocket server sends that this project understands.
public enum WSInbound: Sendable, Hashable {
    case subscribed(id: Int?, channel: String, sid: Int)
    case unsubscribed(id: Int?, sid: Int)
    case ok(id: Int?, sid: Int?, marketTickers: [String]?)
    case subscriptions(id: Int?, [WSSubscriptionInfo])
    case error(id: Int?, sid: Int?, code: Int, message: String)
    case snapshot(sid: Int, seq: Int64, id: Int?, WSOrderbookSnapshot)
    case delta(sid: Int, seq: Int64, WSOrderbookDelta)
    case ticker(sid: Int, WSTicker)
    case trade(sid: Int, seq: Int64?, WSTrade)
    case fill(sid: Int, WSFill)
    case userOrder(sid: Int, WSUserOrder)
    case marketPosition(sid: Int, WSMarketPosition)
    case lifecycle(sid: Int, seq: Int64?, WSMarketLifecycle)
    /// A well-formed message of a type this project does not use.
    case other(type: String)
}

/// A frame that is not a valid Kalshi message (counted, logged, and skipped).
public struct WSDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    public let description: String
}

extension WSInbound {
    private struct SubscribedMsg: Decodable {
        let channel: String
        let sid: Int
    }

    private struct ErrorMsg: Decodable {
        let code: Int
        let msg: String?
    }

    private struct OkMsg: Decodable {
        let marketTickers: [String]?
        enum CodingKeys: String, CodingKey { case marketTickers = "market_tickers" }
    }

    /// A whole frame in one `JSONDecoder` pass: the head's `type` picks how `msg` is read (decoding the head
    /// and then the body cost every account event two passes over its bytes).
    private struct Frame: Decodable {
        let inbound: WSInbound

        enum CodingKeys: String, CodingKey { case type, id, sid, seq, msg }

        init(from decoder: any Decoder) throws {
            let frame = try decoder.container(keyedBy: CodingKeys.self)
            let type = try frame.decode(String.self, forKey: .type)
            let id = try frame.decodeIfPresent(Int.self, forKey: .id)
            let sid = try frame.decodeIfPresent(Int.self, forKey: .sid)
            let seq = try frame.decodeIfPresent(Int64.self, forKey: .seq)
            func body<T: Decodable>(_ type: T.Type) throws -> T { try frame.decode(T.self, forKey: .msg) }
            func require<T>(_ value: T?, _ field: String) throws -> T {
                guard let value else { throw WSDecodingError(description: "\(type): missing \(field)") }
                return value
            }
            switch type {
            case "subscribed":
                let msg = try body(SubscribedMsg.self)
                inbound = .subscribed(id: id, channel: msg.channel, sid: msg.sid)
            case "unsubscribed":
                inbound = .unsubscribed(id: id, sid: try require(sid, "sid"))
            case "ok":
                if let list = try? body([WSSubscriptionInfo].self) {
                    inbound = .subscriptions(id: id, list)
                } else {
                    inbound = .ok(id: id, sid: sid, marketTickers: (try? body(OkMsg.self))?.marketTickers)
                }
            case "error":
                let msg = try body(ErrorMsg.self)
                inbound = .error(id: id, sid: sid, code: msg.code, message: msg.msg ?? "")
            case "orderbook_snapshot":
                inbound = .snapshot(sid: try require(sid, "sid"), seq: try require(seq, "seq"), id: id, try body(WSOrderbookSnapshot.self))
            case "orderbook_delta":
                inbound = .delta(sid: try require(sid, "sid"), seq: try require(seq, "seq"), try body(WSOrderbookDelta.self))
            case "ticker": inbound = .ticker(sid: try require(sid, "sid"), try body(WSTicker.self))
            case "trade": inbound = .trade(sid: try require(sid, "sid"), seq: seq, try body(WSTrade.self))
            case "fill": inbound = .fill(sid: try require(sid, "sid"), try body(WSFill.self))
            case "user_order": inbound = .userOrder(sid: try require(sid, "sid"), try body(WSUserOrder.self))
            case "market_position": inbound = .marketPosition(sid: try require(sid, "sid"), try body(WSMarketPosition.self))
            case "market_lifecycle_v2": inbound = .lifecycle(sid: try require(sid, "sid"), seq: seq, try body(WSMarketLifecycle.self))
            default: inbound = .other(type: type)
            }
        }
    }

    /// Decodes one text frame.
    public static func decode(_ data: Data) throws(WSDecodingError) -> WSInbound {
        // Hot paths first: order book deltas are most of the traffic, user_order frames most of an order's.
        if let delta = WSFastDelta.parse(data) { return delta }
        if let order = fastUserOrder(data) { return order }
        return try decodeGeneral(data)
    }

    /// The general decoder alone (what the fast paths must agree with).
    static func decodeGeneral(_ data: Data) throws(WSDecodingError) -> WSInbound {
        do {
            return try JSONDecoder().decode(Frame.self, from: data).inbound
        } catch let error as WSDecodingError {
            throw error
        } catch {
            throw WSDecodingError(description: KalshiJSON.describe(error))
        }
    }
}

extension WSInbound {
    private static let userOrderType = Data(#""type":"user_order""#.utf8)

    /// A `user_order` frame (every order's private-channel updates) read with the project's JSON reader:
    /// `JSONDecoder` was ~4 % of the client's CPU in a 2,000 orders/s run, nearly all of it these frames.
    /// Returns nil for anything else, or anything the general decoder might read differently (it then
    /// reads the frame and reports errors in its own words); never accepts what it would refuse.
    static func fastUserOrder(_ data: Data) -> WSInbound? {
        guard data.range(of: userOrderType) != nil else { return nil }
        guard case let .object(frame)? = try? JSONValue.parse(String(decoding: data, as: UTF8.self)),
              case .string("user_order")? = frame["type"], case let .number(sidText)? = frame["sid"], let sid = Int(sidText),
              integerOrAbsent(frame["id"]), integerOrAbsent(frame["seq"]),
              case let .object(msg)? = frame["msg"], let order = try? WSUserOrder(fields: AnswerFields(object: msg)) else { return nil }
        return .userOrder(sid: sid, order)
    }

    private static func integerOrAbsent(_ value: JSONValue?) -> Bool {
        switch value {
        case nil, .null?: true
        case let .number(text)?: Int64(text) != nil
        default: false
        }
    }
}

/// Server → client encoding, used by the simulator: `{"type", "id"?, "sid"?, "seq"?, "msg"?}`.
public enum WSOutbound {
    private struct Envelope<T: Encodable>: Encodable {
        let type: String
        let id: Int?
        let sid: Int?
        let seq: Int64?
        let msg: T?
    }

    private struct NoBody: Encodable {}

    public static func encode<T: Encodable>(_ type: String, id: Int? = nil, sid: Int? = nil, seq: Int64? = nil, msg: T?) -> Data {
        (try? KalshiJSON.encoder().encode(Envelope(type: type, id: id, sid: sid, seq: seq, msg: msg))) ?? Data()
    }

    public static func subscribed(id: Int?, channel: WSChannel, sid: Int) -> Data {
        encode("subscribed", id: id, msg: WSSubscriptionInfo(channel: channel.rawValue, sid: sid))
    }

    public static func unsubscribed(id: Int?, sid: Int, seq: Int64?) -> Data {
        encode("unsubscribed", id: id, sid: sid, seq: seq, msg: NoBody?.none)
    }

    public static func error(id: Int?, sid: Int? = nil, code: Int, message: String) -> Data {
        struct Body: Encodable { let code: Int; let msg: String }
        return encode("error", id: id, sid: sid, msg: Body(code: code, msg: message))
    }

    public static func ok(id: Int?, sid: Int?, marketTickers: [String]) -> Data {
        struct Body: Encodable {
            let marketTickers: [String]
            enum CodingKeys: String, CodingKey { case marketTickers = "market_tickers" }
        }
        return encode("ok", id: id, sid: sid, msg: Body(marketTickers: marketTickers))
    }

    public static func subscriptions(id: Int?, _ list: [WSSubscriptionInfo]) -> Data { encode("ok", id: id, msg: list) }
}
