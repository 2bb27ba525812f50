/// Keeps the data feed subscribed to the books orders need: a market's book is asked for before its
/// first order, and a subscription that fails is retried in the background with exponential backoff
/// (never given up for the run): a feed hiccup must not blind the run to a market for good.
public actor BookWatcher {
    public struct Settings: Sendable {
        public var initialBackoff: Duration = .milliseconds(500)
        public var maxBackoff: Duration = .seconds(30)
        /// After a first subscription, how long the first order waits for the book's snapshot (an order on a
        /// book that has not arrived yet would be refused for want of a book).
        public var firstBookWait: Duration = .seconds(2)
        public init() {}
    }

    private enum Watch {
        case subscribed
        /// Failed; a background task retries.
        case retrying(attempts: Int, task: Task<Void, Never>)
    }

    private let subscribe: @Sendable ([String]) async throws -> Void
    /// Whether a market's book is in hand (fresh); `nil`: do not wait for it.
    private let hasBook: (@Sendable (String) async -> Bool)?
    private let settings: Settings
    private let log: @Sendable (String) -> Void
    private var watches: [String: Watch] = [:]

    public init(settings: Settings = Settings(), log: @escaping @Sendable (String) -> Void, hasBook: (@Sendable (String) async -> Bool)? = nil,
                subscribe: @escaping @Sendable ([String]) async throws -> Void) {
        self.settings = settings
        self.log = log
        self.hasBook = hasBook
        self.subscribe = subscribe
    }

    /// Subscribes `ticker`'s book unless it already is or a retry is pending; returns whether it is now.
    @discardableResult
    public func ensure(_ ticker: String) async -> Bool {
        switch watches[ticker] {
        case .subscribed: return true
        case .retrying: return false
        case nil: break
        }
        watches[ticker] = .subscribed  // claimed: a concurrent call does not subscribe twice
        do {
            try await subscribe([ticker])
            if let hasBook {
                let deadline = ContinuousClock.now + settings.firstBookWait
                while ContinuousClock.now < deadline, !(await hasBook(ticker)) { try? await Task.sleep(for: .milliseconds(10)) }
            }
            return true
        } catch {
            failed(ticker, attempts: 1, error)
            return false
        }
    }

    /// Whether the book of `ticker` is subscribed now.
    public func isSubscribed(_ ticker: String) -> Bool {
        if case .subscribed = watches[ticker] { return true }
        return false
    }

    private func failed(_ ticker: String, attempts: Int, _ error: any Error) {
        let delay = backoff(attempts)
        log("book subscription for \(ticker) failed (\(error)); retrying in \(delay) (attempt \(attempts))")
        let subscribe = subscribe
        let task = Task { [weak self] in
            do { try await Task.sleep(for: delay) } catch { return }
            do {
                try await subscribe([ticker])
                await self?.succeeded(ticker, attempts: attempts)
            } catch {
                await self?.failed(ticker, attempts: attempts + 1, error)
            }
        }
        watches[ticker] = .retrying(attempts: attempts, task: task)
    }

    private func succeeded(_ ticker: String, attempts: Int) {
        watches[ticker] = .subscribed
        log("book subscription for \(ticker) restored after \(attempts) failed attempt(s)")
    }

    private func backoff(_ attempts: Int) -> Duration {
        var delay = settings.initialBackoff
        for _ in 1..<max(attempts, 1) where delay < settings.maxBackoff { delay *= 2 }
        return min(delay, settings.maxBackoff)
    }

    /// Stops pending retries.
    public func stop() {
        for case let .retrying(_, task) in watches.values { task.cancel() }
    }
}
