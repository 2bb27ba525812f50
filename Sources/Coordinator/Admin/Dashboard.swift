import Execution
import Foundation
import Markets
import TraderLink

/// Everything the status page shows, in one JSON document (`GET /dashboard`): run state, mode and
/// venues, the breaker with each limit's usage, P&L per position, open orders, the last trades and arbs
/// with their fills, denials by code, latency percentiles and the signal intake.
public struct Dashboard: Sendable, Codable {
    public struct Venues: Sendable, Codable {
        public var mode: String
        public var hybrid: Bool
        /// One sentence: where market data comes from and where orders go.
        public var summary: String
    }

    public struct Breaker: Sendable, Codable {
        /// `closed`, `half-open`, `open until …` or `halted`.
        public var state: String
        public var haltReason: String?
        public var limits: [LimitUsage]
        public var persistenceFailure: String?
        public var unresolvedOrders: Int
    }

    public struct OpenOrder: Sendable, Codable {
        public var clientOrderID: String
        public var platform: String
        public var ticker: String
        public var action: String
        public var side: String
        public var limit: String
        public var requested: String
        public var filled: String
        public var state: String
        public var ageSeconds: Int64
    }

    public struct Latency: Sendable, Codable {
        public var stage: String
        public var count: UInt64
        public var p50Microseconds: UInt64
        public var p90Microseconds: UInt64
        public var p99Microseconds: UInt64
        public var maxMicroseconds: UInt64
    }

    public struct Signals: Sendable, Codable {
        public var received: Int
        public var waiting: Int
        public var refused: Int
        public var malformed: Int
        public var duplicate: Int
    }

    public var generatedAt: String
    public var state: String
    public var venues: Venues
    public var breaker: Breaker
    /// `nil` when the journal could not be read (see `problems`).
    public var pnl: JournalReport.PnL?
    public var openOrders: [OpenOrder]
    /// The most recent orders with their fills, newest first.
    public var trades: [JournalReport.OrderLine]
    public var arbs: [JournalReport.ArbLine]
    /// Breaker denials by code, everything the journal holds.
    public var denials: [String: Int]
    public var latency: [Latency]
    public var signals: Signals
    public var loop: LoopStats
    /// Remote traders connected to this controller (`TRADER_LISTEN`).
    public var traders: [TraderRegistry.Connected]
    /// Problems reading the journal for this snapshot (the rest is still shown).
    public var problems: [String]
}

/// Builds `Dashboard` snapshots for a running executor. Reads the journal through its own read
/// transactions (a pool: never waits on the execution actor's writes) and the live books for marks.
public struct DashboardSource: Sendable {
    public var venues: Dashboard.Venues
    /// The data venue's current best bids of held markets (what positions are marked to); `[:]` when
    /// there is no live book.
    public var marks: @Sendable ([String]) async -> [String: BookMark]
    /// How many recent trades and arbs the page lists.
    public var recent = 15
    /// Connected remote traders, when this run listens for them.
    public var traders: TraderRegistry?

    public init(venues: Dashboard.Venues, marks: @escaping @Sendable ([String]) async -> [String: BookMark] = { _ in [:] }) {
        self.venues = venues
        self.marks = marks
    }

    func snapshot(board: RunBoard, service: ExecutionService, loop: ExecutionLoop, inbox: SignalInbox) async -> Dashboard {
        let status = await service.status()
        let limits = await service.limitUsage()
        let journal = service.journal
        var problems: [String] = []
        var report: JournalReport?
        var open: [Dashboard.OpenOrder] = []
        var denials: [String: Int] = [:]
        let now = ExecutionService.systemWallClock()
        do {
            let held = try journal.heldMarkets()
            report = try journal.report(limit: recent, currentBooks: await marks(held), latencies: false)
            open = try journal.nonTerminalOrders().sorted { $0.createdNanoseconds > $1.createdNanoseconds }.map {
                Dashboard.OpenOrder(clientOrderID: $0.clientOrderID, platform: $0.platform.rawValue, ticker: $0.ticker, action: $0.action.rawValue,
                                    side: $0.side.rawValue, limit: $0.limitPrice.wireString, requested: $0.requested.wireString,
                                    filled: $0.filled.wireString, state: $0.state.rawValue, ageSeconds: max(0, (now - $0.createdNanoseconds) / 1_000_000_000))
            }
            denials = try journal.denialCounts()
        } catch {
            problems.append("journal: \(error)")
        }
        let latency = LatencyStage.allCases.map { stage in
            let summary = service.metrics.summary(stage)
            return Dashboard.Latency(stage: stage.rawValue, count: summary.count, p50Microseconds: summary.p50, p90Microseconds: summary.p90,
                                     p99Microseconds: summary.p99, maxMicroseconds: summary.max)
        }
        let counters = await inbox.counters
        return Dashboard(
            generatedAt: Date().ISO8601Format(), state: await board.state, venues: venues,
            breaker: Dashboard.Breaker(state: status.breaker, haltReason: status.haltReason, limits: limits,
                                       persistenceFailure: status.persistenceFailure, unresolvedOrders: status.unresolvedOrders),
            pnl: report?.pnl, openOrders: open, trades: report?.orders ?? [], arbs: Array((report?.arbs ?? []).prefix(recent)),
            denials: denials, latency: latency,
            signals: Dashboard.Signals(received: counters.received, waiting: await inbox.waiting, refused: counters.refused,
                                       malformed: counters.malformed, duplicate: counters.duplicates),
            loop: await loop.currentStats(), traders: await traders?.connected ?? [], problems: problems)
    }
}

extension RunPlan {
    /// Mode and venues in one sentence, hybrid said plainly.
    public var venueSummary: Dashboard.Venues {
        func describe(_ venue: Venue) -> String {
            switch venue {
            case .embeddedSimulator: "the embedded exchange simulator"
            case let .kalshi(api, _, production): "\(api.host ?? "?") (\(production ? "production" : "demo"))"
            }
        }
        let orders = switch mode {
        case .paper: "paper fills modelled on the data venue's books (no order leaves this process)"
        case .demo: "orders on \(describe(trading)) with mock funds"
        case .live: "REAL-MONEY orders on \(describe(trading))"
        }
        let summary = (hybrid ? "Hybrid: " : "") + "market data from \(describe(data)); \(orders)."
        return Dashboard.Venues(mode: mode.rawValue, hybrid: hybrid, summary: summary)
    }
}
