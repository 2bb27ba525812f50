import Foundation
import HTTPTypes
import Logging
import NIOCore
import WSClient

/// One connection to a Polymarket channel (`<POLY_WS_URL>/market` or `/user`), kept up: it sends the
/// subscription on every connect (built afresh, so it carries the current assets), a text `PING` every
/// `pingInterval` (the venue closes idle connections), treats `silenceTimeout` without any frame (not even
/// `PONG`) as a dead connection, and reconnects with exponential backoff and jitter. Consumers read
/// `events`: connection changes and the text frames as received.
public actor PolyWebSocket {
    public struct Configuration: Sendable {
        public var url: URL
        public var pingInterval: Duration = .seconds(10)
        public var silenceTimeout: Duration = .seconds(30)
        public var connectTimeout: Duration = .seconds(10)
        public var backoffBase: Duration = .milliseconds(500)
        public var backoffMax: Duration = .seconds(30)
        public var maxMessageSize = 32 << 20

        public init(url: URL) { self.url = url }
    }

    public enum Event: Sendable {
        case connected
        /// The connection ended; the next attempt follows after backoff.
        case disconnected(reason: String)
        case text(String)
    }

    public let configuration: Configuration
    public nonisolated let events: AsyncStream<Event>
    private let continuation: AsyncStream<Event>.Continuation
    private let subscription: @Sendable () async -> String?
    private let logger: Logger
    private var writer: WebSocketOutboundWriter?
    private var runTask: Task<Void, Never>?
    private var generation = 0
    private var failures = 0
    private var lastFrame = ContinuousClock.now
    public private(set) var connections = 0

    /// `subscription` is the message sent on every connect (nil: none yet).
    public init(_ configuration: Configuration, logger: Logger = Logger(label: "polymarket.websocket"),
                subscription: @escaping @Sendable () async -> String?) {
        self.configuration = configuration
        self.logger = logger
        self.subscription = subscription
        (events, continuation) = AsyncStream<Event>.makeStream()
    }

    public func start() {
        guard runTask == nil else { return }
        runTask = Task { await self.run() }
    }

    public func stop() async {
        runTask?.cancel()
        try? await writer?.close(.normalClosure, reason: "client stopping")
        await runTask?.value
        runTask = nil
        continuation.finish()
    }

    public var isConnected: Bool { writer != nil }

    /// Sends a text frame if connected; false when not (the next connect's subscription covers it).
    @discardableResult
    public func send(_ text: String) async -> Bool {
        guard let writer else { return false }
        do {
            try await writer.write(.text(text))
            return true
        } catch {
            return false
        }
    }

    private enum Signal: Sendable {
        case connected, finished(String), deadline
    }

    private func run() async {
        while !Task.isCancelled {
            generation += 1
            let attempt = generation
            let (signals, signal) = AsyncStream<Signal>.makeStream()
            let url = configuration.url.absoluteString
            let config = WebSocketClientConfiguration(maxFrameSize: configuration.maxMessageSize)
            let logger = logger
            let maxSize = configuration.maxMessageSize
            Task {
                do {
                    try await WebSocketClient.connect(url: url, configuration: config, logger: logger) { inbound, outbound, _ in
                        guard await self.connected(outbound, generation: attempt) else {
                            try? await outbound.close(.goingAway, reason: "superseded")
                            return
                        }
                        signal.yield(.connected)
                        for try await message in inbound.messages(maxSize: maxSize) {
                            if case let .text(text) = message { await self.received(text) } else { await self.touched() }
                        }
                    }
                    signal.yield(.finished("closed"))
                } catch {
                    signal.yield(.finished(String(describing: error).prefix(200).description))
                }
            }
            let connectTimeout = configuration.connectTimeout
            let watchdog = Task {
                try await Task.sleep(for: connectTimeout)
                signal.yield(.deadline)
            }
            var reason = "closed"
            var isUp = false
            var keepalive: Task<Void, Never>?
            waiting: for await event in signals {
                switch event {
                case .connected:
                    isUp = true
                    keepalive = Task { await self.keepAlive(generation: attempt) }
                case .deadline where !isUp:
                    reason = "upgrade not completed within \(connectTimeout)"
                    break waiting
                case .deadline:
                    continue
                case let .finished(why):
                    reason = why
                    break waiting
                }
                if Task.isCancelled { break }
            }
            watchdog.cancel()
            keepalive?.cancel()
            signal.finish()
            let wasConnected = writer != nil
            if let writer { try? await writer.close(.goingAway, reason: "reconnecting") }
            writer = nil
            if wasConnected { continuation.yield(.disconnected(reason: reason)) }
            guard !Task.isCancelled else { break }
            failures += 1
            let delay = backoff(failures)
            logger.info("polymarket channel \(configuration.url.path) down (\(reason)); reconnecting in \(delay)")
            try? await Task.sleep(for: delay)
        }
    }

    private func backoff(_ failures: Int) -> Duration {
        let capped = min(configuration.backoffBase * (1 << min(max(failures - 1, 0), 16)), configuration.backoffMax)
        return capped / 2 + capped / 2 * Double.random(in: 0...1)
    }

    private func connected(_ outbound: WebSocketOutboundWriter, generation: Int) async -> Bool {
        guard generation == self.generation, !Task.isCancelled, runTask != nil else { return false }
        writer = outbound
        connections += 1
        failures = 0
        lastFrame = .now
        if let message = await subscription() { try? await outbound.write(.text(message)) }
        continuation.yield(.connected)
        return true
    }

    private func received(_ text: String) {
        lastFrame = .now
        if text == "PONG" { return }
        continuation.yield(.text(text))
    }

    private func touched() { lastFrame = .now }

    /// `PING` every `pingInterval`; a connection silent for `silenceTimeout` is closed (and reconnected).
    private func keepAlive(generation: Int) async {
        while !Task.isCancelled, generation == self.generation {
            try? await Task.sleep(for: configuration.pingInterval)
            guard !Task.isCancelled, generation == self.generation, let writer else { return }
            if ContinuousClock.now - lastFrame > configuration.silenceTimeout {
                logger.warning("polymarket channel \(configuration.url.path) silent for \(configuration.silenceTimeout); reconnecting")
                try? await writer.close(.goingAway, reason: "silent")
                return
            }
            try? await writer.write(.text("PING"))
        }
    }
}
