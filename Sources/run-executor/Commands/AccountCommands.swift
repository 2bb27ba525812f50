import ArgumentParser
import Config
import Coordinator
import DataClient
import Execution
import Foundation
import KalshiWire
import Markets
import PolymarketClient
import PolymarketVenue
import PolymarketWire
import TradingClient

/// `--platform`: the venue a command acts on.
enum PlatformOption: String, ExpressibleByArgument, CaseIterable {
    case kalshi, polymarket, poly

    var platform: Platform { self == .kalshi ? .kalshi : .polymarket }
}

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

    /// The journal, read-only: account commands never recover, reconcile or write (a run may hold it).
    func openJournal() throws -> Journal {
        guard FileManager.default.fileExists(atPath: journalPath) else {
            printError("no journal at \(journalPath): the paper account is empty (run-executor writes it; --journal PATH names another)")
            throw ExitStatus.failure.exitCode
        }
        return try Journal(path: journalPath, readOnly: true)
    }

    /// Runs `body` with a signed Polymarket client (demo/live; credentials derived through L1 when none are
    /// configured), shutting it down after.
    func withPolymarket<T>(_ body: (PolymarketClient) async throws -> T) async throws -> T {
        guard let poly = config.polymarket, poly.signer != nil else {
            printError("--platform polymarket: no Polymarket account configured (set POLY_PRIVATE_KEY and POLY_CLOB_URL)")
            throw ExitStatus.configuration.exitCode
        }
        let client = PolymarketConnection.client(poly, signed: true)
        do {
            try await PolymarketConnection.authenticate(client, log: log)
            let value = try await body(client)
            try? await client.transport.shutdown()
            return value
        } catch {
            try? await client.transport.shutdown()
            printError("\(poly.clobURL.host ?? "polymarket"): \(error)")
            throw ExitStatus.failure.exitCode
        }
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
    }
    enum TimeInForceOption: String, ExpressibleByArgument, CaseIterable {
        case ioc, fok, gtc
    }

    static let configuration = CommandConfiguration(
        commandName: "order",
        abstract: "Place one manual order through the breaker, journal and executor.",
        discussion: """
            Example: run-executor order buy-yes KXNFL-26JAN11-BUF --count 10 --price 0.52 --tif ioc; on Polymarket, \
            run-executor order buy-yes TOKEN_ID --platform polymarket --count 10 --price 0.52 (a token id where Kalshi takes \
            a ticker; buy-yes buys that token, buy-no the market's other one). \
            The same path as the main loop: start-up reconciliation, circuit breaker (a halt refuses it), \
            journal row before sending, executor. A GTC order is worked for ORDER_TIMEOUT_SECONDS, then \
            what rests is cancelled. With no configuration, it trades on the embedded simulator (paper). \
            While a run holds the journal, the order goes through that run's admin API instead (one \
            writer per journal); without one, it exits 2 naming the process that holds the journal.
            """
    )
    @OptionGroup var options: ConfigOptions
    @Argument(help: "buy-yes, buy-no, sell-yes or sell-no.") var intent: Intent
    @Argument(help: "Kalshi market ticker, or Polymarket token id with --platform polymarket.") var ticker: String
    @Option(help: "Venue: kalshi or polymarket (poly).") var platform: PlatformOption = .kalshi
    @Option(help: "Contracts (fixed-point, e.g. 10 or 2.5).") var count: String
    @Option(help: "Limit price in dollars of the traded outcome (e.g. 0.52).") var price: String
    @Option(help: "Time in force: ioc, fok or gtc.") var tif: TimeInForceOption = .ioc
    @Option(help: ArgumentHelp("Journal database path (default JOURNAL_PATH or data/executor.sqlite).", valueName: "path")) var journal: String?
    @Flag(help: "Skip the typed live confirmation (logged loudly).") var confirmLive = false

    var request: ManualOrderRequest {
        ManualOrderRequest(intent: intent.rawValue, ticker: ticker, count: count, price: price, tif: tif.rawValue,
                           platform: platform == .kalshi ? nil : Platform.polymarket.rawValue)
    }

    func validate() throws {
        if case let .failure(problem) = request.parsed() { throw ValidationError(problem.description) }
        if let journal { try CLIRange.checkPath("--journal", journal) }
    }

    func run() async throws {
        var start = try TradingStart.load(options, confirmLive: confirmLive, journal: journal)
        let (plan, journalPath) = (start.plan, start.journalPath)
        let lock: JournalLock
        do {
            lock = try JournalLock.acquire(journal: journalPath, command: "order")
        } catch let busy as JournalBusyError {
            // A run holds the journal: the order goes through it.
            let answer = try await AdminClient.forHolder(busy, config: start.config, command: "order").order(request)
            return try show(answer)
        }
        defer { lock.release() }
        let embedded = try await start.startEmbedded(seed: 1)
        defer { if let embedded { Task { await embedded.stop() } } }
        let config = start.config
        let venues = try await Venues.connect(config, mode: plan.mode, fillDetection: .polling, log: log)
        let answer: ManualOrderAnswer
        do {
            let service = try await venues.prepareExecution(journalPath: journalPath, mode: plan.mode, config: config, log: log)
            let market = venues.market, paper = plan.mode == .paper, polymarket = venues.polymarket
            let desk = ManualOrderDesk(service: service, catalog: venues.tradingCatalog, polymarket: polymarket) { platform, ticker in
                guard paper else { return }
                switch platform {
                case .kalshi: try await market.waitForBook(ticker)
                case .polymarket: try await polymarket?.waitForBook(ticker)
                }
            }
            var placed = await desk.place(request)
            let cancelled = await service.cancelAll()
            if cancelled > 0 { log("cancelled \(cancelled) resting paper order(s): paper orders do not outlive the command") }
            // An order whose timeout cancel the venue did not answer is no execution's any more: asked
            // about once more, so one still resting does not outlive the command either.
            await UnknownOutcomes(service: service, ledger: venues.executor, absentWindow: config.absentWindow, log: log).askBeforeExit("order")
            if let id = placed.clientOrderID, let row = try? service.journal.order(id), row.state.isTerminal, placed.state != row.state.rawValue {
                placed.state = row.state.rawValue
                placed.filled = row.filled.wireString
                placed.reason = (placed.reason.map { $0 + "; " } ?? "") + "asked again before exit: \(row.state.rawValue)"
            }
            answer = placed
        } catch {
            await venues.shutdown()
            printError("order: \(error)")
            throw ExitStatus.failure.exitCode
        }
        await venues.shutdown()
        try show(answer)
    }

    /// Prints the outcome; exits 1 unless the order was executed and not rejected.
    private func show(_ answer: ManualOrderAnswer) throws {
        switch answer.outcome {
        case "denied":
            printError("denied: \(answer.reason ?? "")")
            throw ExitStatus.failure.exitCode
        case "executed":
            let shown = (try? request.parsed().get()).map { ($0.count.wireString, $0.limit.wireString) } ?? (count, price)
            print("\(answer.clientOrderID ?? "?") \(intent.rawValue) \(ticker) \(shown.0) @ \(shown.1) → \(answer.state ?? "?") "
                  + "filled=\(answer.filled ?? "0")" + (answer.averagePrice.map { " avg=\($0)" } ?? "")
                  + " fees=\(answer.fees ?? "0")" + (answer.venueOrderID.map { " venue_order_id=\($0)" } ?? ""))
            for fill in answer.fills { print("  fill \(fill.fillID) \(fill.contracts) @ \(fill.price) fee \(fill.fee)") }
            if let reason = answer.reason { print("  \(reason)") }
            if answer.state == "rejected" { throw ExitStatus.failure.exitCode }
        default:
            printError("refused: \(answer.reason ?? "")")
            throw ExitStatus.failure.exitCode
        }
    }
}

struct CancelAll: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel-all",
        abstract: "Cancel every resting order: a running executor's (through its admin API), else the trading venue's (demo/live).")
    @OptionGroup var options: ConfigOptions
    @Option(help: ArgumentHelp("Journal database path (default JOURNAL_PATH or data/executor.sqlite).", valueName: "path")) var journal: String?
    @Option(help: "Venue: kalshi or polymarket (poly).") var platform: PlatformOption = .kalshi

    func run() async throws {
        let context = try AccountContext(options, journal: journal)
        let lock: JournalLock
        do {
            lock = try JournalLock.acquire(journal: context.journalPath, command: "cancel-all")
        } catch let busy as JournalBusyError {
            let cancelled = try await AdminClient.forHolder(busy, config: context.config, command: "cancel-all").cancelAll()
            print("cancelled \(cancelled) resting order(s) through the running executor (\(busy.holder?.description ?? "?"))")
            return
        }
        defer { lock.release() }
        guard !context.isPaper else {
            print("paper mode: paper orders exist only inside a running executor, which cancels them when it stops; nothing to cancel")
            return
        }
        if platform.platform == .polymarket {
            let answer = try await context.withPolymarket { try await $0.cancelAll() }
            print("cancelled \(answer.canceled.count) open order(s) on \(context.config.polymarket?.clobURL.host ?? "Polymarket")"
                  + (answer.notCanceled.isEmpty ? "" : "; \(answer.notCanceled.count) not cancelled: "
                     + answer.notCanceled.sorted { $0.key < $1.key }.map { "\($0.key) (\($0.value))" }.joined(separator: ", ")))
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
    @Option(help: "Venue: kalshi or polymarket (poly); positions on Polymarket are kept under each market's YES token.") var platform: PlatformOption = .kalshi

    func run() async throws {
        let context = try AccountContext(options, journal: journal)
        var positions: [String: Contracts] = [:]
        if context.isPaper {
            positions = try context.openJournal().positions(platforms: [platform.platform])
        } else if platform.platform == .polymarket {
            positions = try await context.withPolymarket { client in try await PolymarketAccount.positions(client, config: context.config) }
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
    @Option(help: "Venue: kalshi or polymarket (poly).") var platform: PlatformOption = .kalshi

    func run() async throws {
        let context = try AccountContext(options, journal: journal)
        if context.isPaper {
            // Each venue's paper account starts with PAPER_STARTING_CASH.
            let (flow, fees) = try context.openJournal().cashFlow(platform: platform.platform)
            let cash = (try? context.config.paper.startingCash + flow - fees) ?? .zero
            print("paper cash \(cash.wireString) on \(platform.platform.rawValue) (starting \(context.config.paper.startingCash.wireString), "
                  + "cash flow \(flow.wireString), fees \(fees.wireString))")
            return
        }
        if platform.platform == .polymarket {
            let signatureType = context.config.polymarket?.signatureType ?? .eoa
            let micros = try await context.withPolymarket { try await $0.collateralBalance(signatureType: signatureType) }
            print("balance \(Dollars(micros: micros).wireString) pUSD")
            return
        }
        let balance = try await context.withClient { try await $0.balance() }
        let portfolio = (try? Dollars.cents(balance.portfolioValue)).map(\.wireString) ?? "\(balance.portfolioValue) cents"
        print("balance \(balance.balanceDollars.wireString), portfolio value \(portfolio)")
    }
}

struct Orders: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List orders (the venue's resting ones in demo/live, the journal's in paper mode).")
    @OptionGroup var options: ConfigOptions
    @Option(help: ArgumentHelp("Journal database path (paper mode).", valueName: "path")) var journal: String?
    @Flag(help: "Every order, not only resting ones (demo/live).") var all = false
    @Option(help: "Venue: kalshi or polymarket (poly).") var platform: PlatformOption = .kalshi

    func run() async throws {
        let context = try AccountContext(options, journal: journal)
        if context.isPaper {
            let journal = try context.openJournal()
            for order in try journal.report(limit: 100).orders where (try? journal.order(order.clientOrderID))?.platform == platform.platform {
                print("\(order.clientOrderID) \(order.action) \(order.side) \(order.ticker) \(order.requested) @ \(order.limit) → \(order.state) filled=\(order.filled)")
            }
            return
        }
        if platform.platform == .polymarket {
            let orders = try await context.withPolymarket { try await $0.openOrders() }
            if orders.isEmpty { print("no open orders") }
            for order in orders {
                print("\(order.id) \(order.side) token \(order.assetID) (\(order.outcome)) @ \(order.price) \(PolymarketExecutor<ContinuousClock>.plain(order.status)) "
                      + "size=\(order.originalSize) matched=\(order.sizeMatched) \(order.orderType)")
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

/// A Polymarket account's positions without a positions API: every token the account traded (its trades
/// list) read as balances, netted per market under the market's YES token.
enum PolymarketAccount {
    static func positions(_ client: PolymarketClient, config: V3Config) async throws -> [String: Contracts] {
        let signatureType = config.polymarket?.signatureType ?? .eoa
        var tokens = Set<String>()
        for trade in try await client.trades() {
            tokens.insert(trade.assetID)
            for maker in trade.makerOrders { tokens.insert(maker.assetID) }
        }
        let gamma = config.polymarket.map { GammaClient(baseURL: $0.gammaURL) }
        let directory = PolyMarketDirectory(client: client, gamma: gamma)
        var positions: [String: Contracts] = [:]
        var done = Set<String>()
        for token in tokens.sorted() {
            guard let info = try? await directory.info(token), done.insert(info.conditionID).inserted else { continue }
            let yes = try await client.tokenBalance(info.yesToken, signatureType: signatureType)
            let no = try await client.tokenBalance(info.noToken, signatureType: signatureType)
            let net = Contracts(hundredths: yes / 10_000).addingSaturated(Contracts(hundredths: no / 10_000).negated)
            if net != .zero { positions[info.yesToken] = net }
        }
        try? await gamma?.shutdown()
        return positions
    }
}
