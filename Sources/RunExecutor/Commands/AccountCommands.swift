import ArgumentParser
import Config
import Coordinator
import DataClient
import Execution
import Foundation
import KalshiWire
import Markets
import TradingClient

/// What account commands read: the journal in paper mode (the paper account lives there), the trading
/// venue otherwise.
struct AccountContext {
    let config: V3Config
    let plan: RunPlan
    let journalPath: String

    init(_ options: ConfigOptions, journal: String?) throws {
        let report = try options.loadReport()
        config = report.config
        plan = RunPlan(report: report)
        journalPath = journal ?? config.journalPath
    }

    var isPaper: Bool { plan.mode == .paper }

    func openJournal() throws -> Journal {
        guard FileManager.default.fileExists(atPath: journalPath) else {
            printError("no journal at \(journalPath): the paper account is empty (run-executor writes it; --journal PATH names another)")
            throw ExitStatus.failure.exitCode
        }
        return try Journal(path: journalPath)
    }

    /// Runs `body` with a trading client for the configured venue (demo/live), shutting it down after.
    func withClient<T>(_ body: (KalshiTradingClient) async throws -> T) async throws -> T {
        let client = try Venues.tradingClient(config, mode: plan.mode)
        do {
            let value = try await body(client)
            try? await client.shutdown()
            return value
        } catch {
            try? await client.shutdown()
            printError("\(config.trading.apiURL.host ?? "venue"): \(error)")
            throw ExitStatus.failure.exitCode
        }
    }
}

struct Order: AsyncParsableCommand {
    enum Intent: String, ExpressibleByArgument, CaseIterable {
        case buyYes = "buy-yes", buyNo = "buy-no", sellYes = "sell-yes", sellNo = "sell-no"

        var action: OrderAction { self == .buyYes || self == .buyNo ? .buy : .sell }
        var side: OutcomeSide { self == .buyYes || self == .sellYes ? .yes : .no }
    }
    enum TimeInForceOption: String, ExpressibleByArgument, CaseIterable {
        case ioc, fok, gtc
        var wire: TimeInForce {
            switch self {
            case .ioc: .immediateOrCancel
            case .fok: .fillOrKill
            case .gtc: .goodTillCanceled
            }
        }
    }

    static let configuration = CommandConfiguration(
        commandName: "order",
        abstract: "Place one manual order through the breaker, journal and executor.",
        discussion: """
            Example: run-executor order buy-yes KXNFL-26JAN11-BUF --count 10 --price 0.52 --tif ioc. \
            The same path as the main loop: start-up reconciliation, circuit breaker (a halt refuses it), \
            journal row before sending, executor. A GTC order is worked for ORDER_TIMEOUT_SECONDS, then \
            what rests is cancelled. With no configuration, it trades on the embedded simulator (paper).
            """
    )
    @OptionGroup var options: ConfigOptions
    @Argument(help: "buy-yes, buy-no, sell-yes or sell-no.") var intent: Intent
    @Argument(help: "Kalshi market ticker.") var ticker: String
    @Option(help: "Contracts (fixed-point, e.g. 10 or 2.5).") var count: String
    @Option(help: "Limit price in dollars of the traded outcome (e.g. 0.52).") var price: String
    @Option(help: "Time in force: ioc, fok or gtc.") var tif: TimeInForceOption = .ioc
    @Option(help: ArgumentHelp("Journal database path (default JOURNAL_PATH or data/executor.sqlite).", valueName: "path")) var journal: String?
    @Flag(help: "Skip the typed live confirmation (logged loudly).") var confirmLive = false

    func validate() throws {
        guard let parsed = try? Contracts(parsing: count), parsed.isPositive else {
            throw ValidationError("--count: \"\(count)\" is not a positive number of contracts")
        }
        guard (try? Price(parsing: price)) != nil else { throw ValidationError("--price: \"\(price)\" is not a price strictly between 0 and 1") }
    }

    func run() async throws {
        let report = try options.loadReport()
        var config = report.config
        let plan = RunPlan(report: report)
        if plan.mode == .live { try confirmLiveTrading(skip: confirmLive) }
        guard let contracts = try? Contracts(parsing: count), let limit = try? Price(parsing: price) else { throw ExitStatus.configuration.exitCode }
        var embedded: EmbeddedVenue.Started?
        if report.isEmbeddedDefault {
            let started = try await EmbeddedVenue.start(seed: 1)
            embedded = started
            started.configure(&config, seed: 1)
        }
        defer { if let embedded { Task { await embedded.stop() } } }
        let venues = try await Venues.connect(config, mode: plan.mode, fillDetection: .polling, log: log)
        let outcome: ExecutionOutcome
        do {
            let service = try await venues.prepareExecution(journalPath: journal ?? config.journalPath, mode: plan.mode, limits: config.risk,
                                                                      driftThreshold: config.driftThreshold, log: log)
            guard let market = await venues.tradingCatalog.info(ticker) else {
                throw ValidationError("market \(ticker) is not listed on the trading venue \(config.trading.apiURL.host ?? "")")
            }
            guard market.isOpen else { throw ValidationError("market \(ticker) is \(market.status) on the trading venue") }
            if plan.mode == .paper { try await waitForBook(venues.market) }
            let stamp = String(UInt64(Date().timeIntervalSince1970 * 1_000), radix: 36)
            let request = ExecutionRequest(clientOrderID: "manual-\(stamp)-\(UInt32.random(in: 0...UInt32.max))", ticker: ticker,
                                           seriesTicker: market.seriesTicker, action: intent.action, side: intent.side, limit: limit,
                                           count: contracts, timeInForce: tif.wire, grid: market.grid)
            outcome = await service.execute(OrderTicket(request: request, eventTicker: market.eventTicker, expectedPrice: nil))
            let cancelled = await service.cancelAll()
            if cancelled > 0 { log("cancelled \(cancelled) resting paper order(s): paper orders do not outlive the command") }
        } catch {
            await venues.shutdown()
            printError("order: \(error)")
            throw ExitStatus.failure.exitCode
        }
        await venues.shutdown()
        switch outcome {
        case let .denied(denial):
            printError("denied: \(denial)")
            throw ExitStatus.failure.exitCode
        case let .refused(reason):
            printError("refused: \(reason)")
            throw ExitStatus.failure.exitCode
        case let .executed(result):
            let order = result.order
            print("\(order.clientOrderID) \(intent.rawValue) \(ticker) \(contracts.wireString) @ \(limit.wireString) → \(order.state.rawValue) "
                  + "filled=\(order.filled.wireString)" + (result.averagePrice.map { " avg=\($0.wireString)" } ?? "")
                  + " fees=\(result.fees.wireString)" + (order.venueOrderID.map { " venue_order_id=\($0)" } ?? ""))
            for fill in order.fills { print("  fill \(fill.fillID) \(fill.count.wireString) @ \(fill.price.wireString) fee \(fill.fee.wireString)") }
            if let rejection = result.rejection { print("  \(rejection)") }
            if order.state == .rejected { throw ExitStatus.failure.exitCode }
        }
    }

    /// Paper fills need the market's book: waits (up to 10 s) for a fresh one.
    private func waitForBook(_ market: LiveMarketData) async throws {
        try await market.watchBooks([ticker])
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if case .fresh = await market.book(ticker) { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw ValidationError("no order book for \(ticker) from the data venue within 10 s")
    }
}



struct CancelAll: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cancel-all", abstract: "Cancel every resting order on the trading venue (demo/live).")
    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let context = try AccountContext(options, journal: nil)
        guard !context.isPaper else {
            print("paper mode: paper orders exist only inside a running executor, which cancels them when it stops; nothing to cancel")
            return
        }
        let resting = try await context.withClient { client in
            let resting = try await client.orders(OrderFilter(status: .resting)).collect()
            try await client.cancelAll()
            return resting.count
        }
        print("cancelled \(resting) resting order(s) on \(context.config.trading.apiURL.host ?? "the venue")")
    }
}

struct Positions: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show positions (the venue's in demo/live, the journal's in paper mode).")
    @OptionGroup var options: ConfigOptions
    @Option(help: ArgumentHelp("Journal database path (paper mode).", valueName: "path")) var journal: String?
    @Flag(help: "Machine-readable output.") var json = false

    func run() async throws {
        let context = try AccountContext(options, journal: journal)
        var positions: [String: Contracts] = [:]
        if context.isPaper {
            positions = try context.openJournal().positions()
        } else {
            for position in try await context.withClient({ try await $0.positions().collect() }) where position.positionFP != .zero {
                positions[position.ticker] = position.positionFP
            }
        }
        let sorted = positions.filter { $0.value != .zero }.sorted { $0.key < $1.key }
        if json {
            let object = Dictionary(uniqueKeysWithValues: sorted.map { ($0.key, $0.value.wireString) })
            print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
        } else if sorted.isEmpty {
            print("no open positions")
        } else {
            for (ticker, position) in sorted { print("\(ticker) \(position.wireString) (\(position.hundredths > 0 ? "YES" : "NO"))") }
        }
    }
}

struct Balance: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the trading account's balance (paper: starting cash plus journaled cash flow).")
    @OptionGroup var options: ConfigOptions
    @Option(help: ArgumentHelp("Journal database path (paper mode).", valueName: "path")) var journal: String?

    func run() async throws {
        let context = try AccountContext(options, journal: journal)
        if context.isPaper {
            let report = try context.openJournal().report(limit: 0)
            let flow = (try? Dollars(parsing: report.cashFlow)) ?? .zero
            let fees = (try? Dollars(parsing: report.fees)) ?? .zero
            let cash = Dollars(micros: context.config.paper.startingCash.micros + flow.micros - fees.micros)
            print("paper cash \(cash.wireString) (starting \(context.config.paper.startingCash.wireString), cash flow \(flow.wireString), fees \(fees.wireString))")
            return
        }
        let balance = try await context.withClient { try await $0.balance() }
        print("balance \(balance.balanceDollars.wireString), portfolio value \(Dollars(micros: balance.portfolioValue * 10_000).wireString)")
    }
}

struct Orders: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List orders (the venue's resting ones in demo/live, the journal's in paper mode).")
    @OptionGroup var options: ConfigOptions
    @Option(help: ArgumentHelp("Journal database path (paper mode).", valueName: "path")) var journal: String?
    @Flag(help: "Every order, not only resting ones (demo/live).") var all = false

    func run() async throws {
        let context = try AccountContext(options, journal: journal)
        if context.isPaper {
            for order in try context.openJournal().report(limit: 100).orders {
                print("\(order.clientOrderID) \(order.action) \(order.side) \(order.ticker) \(order.requested) @ \(order.limit) → \(order.state) filled=\(order.filled)")
            }
            return
        }
        let orders = try await context.withClient { try await $0.orders(OrderFilter(status: all ? nil : .resting)).collect() }
        if orders.isEmpty { print(all ? "no orders" : "no resting orders") }
        for order in orders {
            print("\(order.orderID) \(order.clientOrderID) \(order.ticker) \(order.bookSide.rawValue) @ \(order.yesPriceDollars.wireString) YES "
                  + "\(order.status.rawValue) filled=\(order.fillCountFP.wireString) remaining=\(order.remainingCountFP.wireString)")
        }
    }
}
