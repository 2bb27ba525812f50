/// Kalshi WebSocket channels this project uses.
public enum WSChannel: String, Sendable, Hashable, Codable, CaseIterable {
    case orderbookDelta = "orderbook_delta"
    case ticker
    case trade
    case fill
    case userOrders = "user_orders"
    case marketPositions = "market_positions"
    case marketLifecycle = "market_lifecycle_v2"
}

/// `subscribe` / `update_subscription` / `unsubscribe` / `list_subscriptions` parameters.
public struct WSParams: Sendable, Hashable, Codable {
    public var channels: [WSChannel]?
    public var marketTickers: [String]?
    public var sid: Int?
    public var sids: [Int]?
    /// `add_markets`, `delete_markets`, `get_snapshot`.
    public var action: String?
    public var useYesPrice: Bool?
    public var sendInitialSnapshot: Bool?

    public init(channels: [WSChannel]? = nil, marketTickers: [String]? = nil, sid: Int? = nil, sids: [Int]? = nil,
                action: String? = nil, useYesPrice: Bool? = nil, sendInitialSnapshot: Bool? = nil) {
        self.channels = channels
        self.marketTickers = marketTickers
        self.sid = sid
        self.sids = sids
        self.action = action
        self.useYesPrice = useYesPrice
        self.sendInitialSnapshot = sendInitialSnapshot
    }

    enum CodingKeys: String, CodingKey {
        case channels, sid, sids, action
        case marketTickers = "market_tickers"
        case useYesPrice = "use_yes_price"
        case sendInitialSnapshot = "send_initial_snapshot"
    }
}

/// A client → server command: `{"id": 1, "cmd": "subscribe", "params": {…}}`.
public struct WSCommand: Sendable, Hashable, Codable {
    public enum Name: String, Sendable, Hashable, Codable {
        case subscribe, unsubscribe
        case updateSubscription = "update_subscription"
        case listSubscriptions = "list_subscriptions"
    }

    public var id: Int
    public var cmd: Name
    public var params: WSParams

    public init(id: Int, cmd: Name, params: WSParams) {
        self.id = id
        self.cmd = cmd
        self.params = params
    }
}

/// WebSocket error codes (kalshi.md §5). 10 and 25 are terminal for the subscription.
public enum WSErrorCode {
    public static let unableToProcess = 1
    public static let paramsRequired = 2
    public static let channelsRequired = 3
    public static let sidsRequired = 4
    public static let unknownCommand = 5
    public static let unknownSid = 7
    public static let unknownChannel = 8
    public static let authenticationRequired = 9
    public static let channelError = 10
    public static let invalidParameter = 11
    public static let exactlyOneSid = 12
    public static let unsupportedAction = 13
    public static let marketTickerRequired = 14
    public static let actionRequired = 15
    public static let bufferOverflow = 25

    /// Whether the subscription is dead and must be re-created.
    public static func isTerminal(_ code: Int) -> Bool { code == channelError || code == bufferOverflow }
}
