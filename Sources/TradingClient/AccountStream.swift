import KalshiWire
import Markets

/// What the trading venue pushes about this account.
public enum AccountEvent: Sendable {
    case fill(WSFill)
    case order(WSUserOrder)
    case position(WSMarketPosition)
    case connection(KalshiWebSocket.State)
}

/// The private channels on the trading connection: `fill`, `user_orders` and `market_positions`. Fills
/// carry their `trade_id`, the same id REST reports as `fill_id`, so an executor that hears a fill on both
/// paths applies it once (see `OrderLifecycle.apply`).
public actor AccountStream {
    public let socket: KalshiWebSocket
    public nonisolated let events: AsyncStream<AccountEvent>
    private let continuation: AsyncStream<AccountEvent>.Continuation
    private var consumer: Task<Void, Never>?

    public init(socket: KalshiWebSocket) {
        self.socket = socket
        (events, continuation) = AsyncStream<AccountEvent>.makeStream()
    }

    /// Connects and subscribes to the three private channels (optionally for some markets only).
    public func start(tickers: [String]? = nil) async throws {
        guard consumer == nil else { return }
        let source = socket.events
        consumer = Task {
            for await event in source {
                switch event {
                case let .state(state): self.continuation.yield(.connection(state))
                case let .message(.fill(_, fill)): self.continuation.yield(.fill(fill))
                case let .message(.userOrder(_, order)): self.continuation.yield(.order(order))
                case let .message(.marketPosition(_, position)): self.continuation.yield(.position(position))
                default: continue
                }
            }
            self.continuation.finish()
        }
        await socket.start()
        for channel in [WSChannel.fill, .userOrders, .marketPositions] {
            try await socket.subscribe(channel, tickers: tickers)
        }
    }

    public func stop() async {
        await socket.stop()
        await consumer?.value
        consumer = nil
    }
}
