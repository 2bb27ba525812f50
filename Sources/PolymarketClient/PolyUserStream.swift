import Foundation
import Logging
import Markets
import PolymarketWire

/// What the user channel tells the executor.
public enum PolyUserEvent: Sendable {
    case order(PolyWSOrder)
    case trade(PolyTrade)
    /// The channel came up (true) or went down (false): events may have been missed while it was down.
    case connected(Bool)
}

/// The authenticated user channel (`<POLY_WS_URL>/user`): this key's order and trade events, kept up
/// across disconnects (the credentials are read at every connect, so keys derived at start-up work).
public actor PolyUserStream {
    public let socket: PolyWebSocket
    public nonisolated let events: AsyncStream<PolyUserEvent>
    private let continuation: AsyncStream<PolyUserEvent>.Continuation
    private var consumer: Task<Void, Never>?
    public private(set) var malformedFrames = 0
    private let logger: Logger

    public init(webSocketURL: URL, transport: PolyTransport, logger: Logger = Logger(label: "polymarket.user")) {
        self.logger = logger
        socket = PolyWebSocket(PolyWebSocket.Configuration(url: webSocketURL.appendingPathComponent("user"))) {
            guard let credentials = transport.apiCredentials else { return nil }
            return Self.subscription(credentials)
        }
        (events, continuation) = AsyncStream<PolyUserEvent>.makeStream()
    }

    /// The raw secret travels in the subscription (the venue's scheme: no HMAC on this channel).
    static func subscription(_ credentials: PolyAPICredentials) -> String {
        func quoted(_ text: String) -> String {
            "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        return "{\"auth\":{\"apiKey\":\(quoted(credentials.apiKey)),\"secret\":\(quoted(credentials.secret)),\"passphrase\":\(quoted(credentials.passphrase))},"
            + "\"markets\":[],\"type\":\"user\"}"
    }

    public func start() async {
        guard consumer == nil else { return }
        await socket.start()
        let stream = socket.events
        consumer = Task { [weak self] in
            for await event in stream {
                guard let self else { return }
                await self.handle(event)
            }
        }
    }

    public func stop() async {
        await socket.stop()
        consumer?.cancel()
        consumer = nil
        continuation.finish()
    }

    private func handle(_ event: PolyWebSocket.Event) {
        switch event {
        case .connected: continuation.yield(.connected(true))
        case .disconnected: continuation.yield(.connected(false))
        case let .text(text):
            let events: [PolyWSEvent]
            do { events = try PolyWSEvent.parse(Data(text.utf8)) } catch {
                malformedFrames += 1
                logger.warning("polymarket user channel: malformed frame (\(PolyOrderRequest.describeDecoding(error)))")
                return
            }
            for event in events {
                switch event {
                case let .order(order): continuation.yield(.order(order))
                case let .trade(trade): continuation.yield(.trade(trade))
                case let .other(kind) where kind == "error": logger.error("polymarket user channel refused the subscription (check POLY_API_* credentials)")
                default: continue
                }
            }
        }
    }
}
