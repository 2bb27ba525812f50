import Foundation
import Markets

/// # TraderLink
///
/// The controller ⇄ remote trader protocol (DESIGN.md §6): JSON text frames, each an object with a
/// `type`. The seeds' messages (`init`, `execute_leg`, `leg_result`, `ping`/`pong`) keep their field
/// names; added: a mutual HMAC handshake before anything else (`hello`, `challenge`, `auth`), `leg_status`
/// (what became of a leg the controller lost sight of) and `error`.

/// One frame of the link.
public enum TraderMessage: Sendable, Hashable {
    /// Trader → controller, first: the platforms it trades and its nonce.
    case hello(Hello)
    /// Controller → trader: its nonce and its proof over the trader's nonce.
    case challenge(Challenge)
    /// Trader → controller: its proof over the controller's nonce.
    case auth(Auth)
    /// Controller → trader, once authenticated: the platforms it will route there and `dry_run`.
    case initialize(Init)
    case executeLeg(ExecuteLeg)
    case legResult(LegResultMessage)
    /// Controller → trader: what became of `leg_id`? Answered by a `leg_result` (with `known` false when
    /// the trader never received it).
    case legStatus(LegStatus)
    case ping(Ping)
    case pong(Ping)
    case error(ErrorMessage)
    /// Trader → controller: the cash its venue account has to buy with (after `init`, after each leg, and
    /// with every pong), so the controller checks a remote leg's balance as it does a local one's.
    case balance(Balance)
    /// Trader → controller, last: it is stopping; it cancelled `cancelled` resting orders and takes no
    /// more legs.
    case shutdown(Shutdown)

    public struct Hello: Codable, Sendable, Hashable {
        public var platforms: [Platform]
        /// 32 random bytes, lowercase hex.
        public var nonce: String
        public var version: Int
        public init(platforms: [Platform], nonce: String, version: Int = TraderMessage.version) {
            self.platforms = platforms
            self.nonce = nonce
            self.version = version
        }
    }

    public struct Challenge: Codable, Sendable, Hashable {
        public var nonce: String
        /// HMAC-SHA256 over the trader's hello: the controller holds the secret too.
        public var proof: String
        public init(nonce: String, proof: String) {
            self.nonce = nonce
            self.proof = proof
        }
    }

    public struct Auth: Codable, Sendable, Hashable {
        public var proof: String
        public init(proof: String) { self.proof = proof }
    }

    public struct Init: Codable, Sendable, Hashable {
        public var platforms: [Platform]
        public var dryRun: Bool
        enum CodingKeys: String, CodingKey { case platforms, dryRun = "dry_run" }
        public init(platforms: [Platform], dryRun: Bool) {
            self.platforms = platforms
            self.dryRun = dryRun
        }
    }

    /// A leg to execute (the seeds' fields: `market_id`, `leg_id`, `platform`, `action`, `side`, `price`,
    /// `contracts`, `ticker` or `token`, `pair_id`, `description`). Prices and contracts are the venues'
    /// decimal strings, never floating point.
    public struct ExecuteLeg: Codable, Sendable, Hashable {
        public var marketID: String
        public var legID: String
        public var platform: Platform
        public var action: OrderAction
        public var side: OutcomeSide
        public var price: String
        public var contracts: String
        public var ticker: String?
        public var token: String?
        public var pairID: String
        public var description: String
        enum CodingKeys: String, CodingKey {
            case marketID = "market_id", legID = "leg_id", platform, action, side, price, contracts, ticker, token, pairID = "pair_id", description
        }

        public init(marketID: String, legID: String, platform: Platform, action: OrderAction, side: OutcomeSide, price: Price, contracts: Contracts,
                    instrument: String, pairID: String, description: String) {
            self.marketID = marketID
            self.legID = legID
            self.platform = platform
            self.action = action
            self.side = side
            self.price = price.wireString
            self.contracts = contracts.wireString
            ticker = platform == .kalshi ? instrument : nil
            token = platform == .polymarket ? instrument : nil
            self.pairID = pairID
            self.description = description
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            marketID = try c.decodeIfPresent(String.self, forKey: .marketID) ?? ""
            legID = try c.decode(String.self, forKey: .legID)
            platform = try c.decode(Platform.self, forKey: .platform)
            action = try c.decode(OrderAction.self, forKey: .action)
            side = try c.decode(OutcomeSide.self, forKey: .side)
            price = try c.decimalText(.price)
            contracts = try c.decimalText(.contracts)
            ticker = try c.decodeIfPresent(String.self, forKey: .ticker)
            token = try c.decodeIfPresent(String.self, forKey: .token)
            pairID = try c.decodeIfPresent(String.self, forKey: .pairID) ?? ""
            description = try c.decodeIfPresent(String.self, forKey: .description) ?? ""
        }

        /// The instrument on its venue: the Kalshi ticker or the Polymarket token id.
        public var instrument: String? { platform == .kalshi ? ticker : token }
        public var limit: Price? { try? Price(parsing: price) }
        public var count: Contracts? { try? Contracts(parsing: contracts) }
    }

    /// What came of a leg (the seeds' fields: `leg_id`, `platform`, `success`, `filled`, `avg_price`,
    /// `order_id`, `error`), plus `ambiguous` (the venue has not said how the order ended: never read as a
    /// failure), `fees` and `known` (false: the trader never received this leg).
    public struct LegResultMessage: Codable, Sendable, Hashable {
        public var legID: String
        public var platform: Platform
        public var success: Bool
        public var filled: String
        public var avgPrice: String?
        public var orderID: String?
        public var error: String?
        public var ambiguous: Bool
        public var fees: String
        public var known: Bool
        /// The trader refused the leg before anything reached its venue (its breaker, another platform, a dry
        /// run, shutting down): definitive, and no venue error.
        public var refused: Bool
        /// The order's fills one by one (the controller journals them as the venue reported them); absent
        /// from the seeds' traders, whose `filled` and `avg_price` are then read as one fill.
        public var fills: [Fill]?
        enum CodingKeys: String, CodingKey {
            case legID = "leg_id", platform, success, filled, avgPrice = "avg_price", orderID = "order_id", error, ambiguous, fees, known, refused, fills
        }

        public struct Fill: Codable, Sendable, Hashable {
            public var fillID: String
            public var count: String
            /// Price of the traded outcome.
            public var price: String
            public var fee: String
            /// `taker` or `maker`.
            public var role: String
            /// Unix nanoseconds.
            public var ts: Int64
            enum CodingKeys: String, CodingKey { case fillID = "fill_id", count, price, fee, role, ts }
            public init(fillID: String, count: Contracts, price: Price, fee: Dollars, role: String, ts: Int64) {
                self.fillID = fillID
                self.count = count.wireString
                self.price = price.wireString
                self.fee = fee.wireString
                self.role = role
                self.ts = ts
            }
        }

        public init(legID: String, platform: Platform, success: Bool, filled: Contracts, avgPrice: Dollars?, orderID: String?, error: String?,
                    ambiguous: Bool, fees: Dollars, known: Bool = true, refused: Bool = false, fills: [Fill]? = nil) {
            self.legID = legID
            self.platform = platform
            self.success = success
            self.filled = filled.wireString
            self.avgPrice = avgPrice?.wireString
            self.orderID = orderID
            self.error = error
            self.ambiguous = ambiguous
            self.fees = fees.wireString
            self.known = known
            self.refused = refused
            self.fills = fills
        }

        /// The seeds' `leg_result` (numbers or strings, without the added fields) is read too.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            legID = try c.decode(String.self, forKey: .legID)
            platform = try c.decode(Platform.self, forKey: .platform)
            success = try c.decode(Bool.self, forKey: .success)
            filled = try c.decimalText(.filled)
            let hasPrice = try c.contains(.avgPrice) && !c.decodeNil(forKey: .avgPrice)
            avgPrice = hasPrice ? try c.decimalText(.avgPrice) : nil
            orderID = try c.decodeIfPresent(String.self, forKey: .orderID)
            error = try c.decodeIfPresent(String.self, forKey: .error)
            ambiguous = try c.decodeIfPresent(Bool.self, forKey: .ambiguous) ?? false
            fees = c.contains(.fees) ? try c.decimalText(.fees) : "0"
            known = try c.decodeIfPresent(Bool.self, forKey: .known) ?? true
            refused = try c.decodeIfPresent(Bool.self, forKey: .refused) ?? false
            fills = try c.decodeIfPresent([Fill].self, forKey: .fills)
        }
    }

    public struct LegStatus: Codable, Sendable, Hashable {
        public var legID: String
        enum CodingKeys: String, CodingKey { case legID = "leg_id" }
        public init(legID: String) { self.legID = legID }
    }

    public struct Ping: Codable, Sendable, Hashable {
        /// Sender's wall clock, Unix ms.
        public var ts: Int64
        public init(ts: Int64) { self.ts = ts }
    }

    public struct ErrorMessage: Codable, Sendable, Hashable {
        public var message: String
        public init(message: String) { self.message = message }
    }

    public struct Balance: Codable, Sendable, Hashable {
        public var platform: Platform
        /// Dollars, the venue's decimal string.
        public var available: String
        public init(platform: Platform, available: Dollars) {
            self.platform = platform
            self.available = available.wireString
        }
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            platform = try c.decode(Platform.self, forKey: .platform)
            available = try c.decimalText(.available)
        }
        enum CodingKeys: String, CodingKey { case platform, available }
    }

    public struct Shutdown: Codable, Sendable, Hashable {
        public var reason: String
        public var cancelled: Int
        public init(reason: String, cancelled: Int) {
            self.reason = reason
            self.cancelled = cancelled
        }
    }

    /// The protocol version this build speaks.
    public static let version = 1
    /// Larger frames are refused unread (a leg is a few hundred bytes).
    public static let maxFrameBytes = 64 * 1_024

    public var type: String {
        switch self {
        case .hello: "hello"
        case .challenge: "challenge"
        case .auth: "auth"
        case .initialize: "init"
        case .executeLeg: "execute_leg"
        case .legResult: "leg_result"
        case .legStatus: "leg_status"
        case .ping: "ping"
        case .pong: "pong"
        case .error: "error"
        case .balance: "balance"
        case .shutdown: "shutdown"
        }
    }
}

extension KeyedDecodingContainer {
    /// A decimal as the sender wrote it: a JSON string ("0.52") or a JSON number (0.52), kept as text so it
    /// is parsed exactly later (never through floating point).
    func decimalText(_ key: Key) throws -> String {
        if let text = try? decode(String.self, forKey: key) { return text }
        let number = try decode(Decimal.self, forKey: key)
        return "\(number)"
    }
}

/// A frame that is not a message of the protocol: what was wrong, for the `error` answer and the log.
public struct TraderFrameError: Error, Sendable, Hashable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension TraderMessage {
    private struct Envelope: Decodable { var type: String }

    // Keys are spelled out per type (`CodingKeys`): the wire names are the protocol's contract.
    private static let decoder = JSONDecoder()

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    /// Parses one text frame; anything else is an error naming what is wrong (never a crash).
    public init(frame: String) throws(TraderFrameError) {
        guard frame.utf8.count <= Self.maxFrameBytes else { throw TraderFrameError("frame of \(frame.utf8.count) bytes is over \(Self.maxFrameBytes)") }
        let data = Data(frame.utf8)
        guard let envelope = try? Self.decoder.decode(Envelope.self, from: data) else { throw TraderFrameError("not a JSON object with a \"type\"") }
        func decode<T: Decodable>(_ type: T.Type) throws(TraderFrameError) -> T {
            do { return try Self.decoder.decode(T.self, from: data) } catch let DecodingError.keyNotFound(key, _) {
                throw TraderFrameError("\(envelope.type): missing \(key.stringValue)")
            } catch let DecodingError.dataCorrupted(context) {
                throw TraderFrameError("\(envelope.type): \(context.codingPath.map(\.stringValue).joined(separator: ".")) is not valid")
            } catch let DecodingError.typeMismatch(_, context) {
                throw TraderFrameError("\(envelope.type): \(context.codingPath.map(\.stringValue).joined(separator: ".")) has the wrong type")
            } catch {
                throw TraderFrameError("\(envelope.type): malformed")
            }
        }
        switch envelope.type {
        case "hello": self = .hello(try decode(Hello.self))
        case "challenge": self = .challenge(try decode(Challenge.self))
        case "auth": self = .auth(try decode(Auth.self))
        case "init": self = .initialize(try decode(Init.self))
        case "execute_leg":
            let leg = try decode(ExecuteLeg.self)
            guard leg.limit.map({ $0.micros > 0 && $0.micros < 1_000_000 }) == true else { throw TraderFrameError("execute_leg: price \"\(leg.price)\" is not a price between 0 and 1") }
            guard let count = leg.count, count.hundredths > 0 else { throw TraderFrameError("execute_leg: contracts \"\(leg.contracts)\" is not a positive count") }
            guard leg.instrument?.isEmpty == false else {
                throw TraderFrameError("execute_leg: \(leg.platform == .kalshi ? "ticker" : "token") is required for \(leg.platform.rawValue)")
            }
            self = .executeLeg(leg)
        case "leg_result": self = .legResult(try decode(LegResultMessage.self))
        case "leg_status": self = .legStatus(try decode(LegStatus.self))
        case "ping": self = .ping(try decode(Ping.self))
        case "pong": self = .pong(try decode(Ping.self))
        case "error": self = .error(try decode(ErrorMessage.self))
        case "balance":
            let balance = try decode(Balance.self)
            guard (try? Dollars(parsing: balance.available)) != nil else { throw TraderFrameError("balance: available \"\(balance.available.prefix(40))\" is not an amount") }
            self = .balance(balance)
        case "shutdown": self = .shutdown(try decode(Shutdown.self))
        default: throw TraderFrameError("unknown type \"\(envelope.type.prefix(40))\"")
        }
    }

    /// The frame's JSON text, `type` first among sorted keys.
    public var frame: String {
        func encoded(_ value: some Encodable) -> String {
            guard let data = try? Self.encoder.encode(value), var text = String(data: data, encoding: .utf8), text.hasPrefix("{") else { return "{}" }
            text.removeFirst()
            return "{\"type\":\"\(type)\"" + (text == "}" ? "}" : "," + text)
        }
        switch self {
        case let .hello(value): return encoded(value)
        case let .challenge(value): return encoded(value)
        case let .auth(value): return encoded(value)
        case let .initialize(value): return encoded(value)
        case let .executeLeg(value): return encoded(value)
        case let .legResult(value): return encoded(value)
        case let .legStatus(value): return encoded(value)
        case let .ping(value), let .pong(value): return encoded(value)
        case let .error(value): return encoded(value)
        case let .balance(value): return encoded(value)
        case let .shutdown(value): return encoded(value)
        }
    }
}
