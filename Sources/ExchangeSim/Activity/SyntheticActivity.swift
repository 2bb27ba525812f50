import KalshiWire
import Markets

extension PriceGrid {
    /// The valid price `ticks` grid steps above (or below) `price`, if there is one inside (0, 1).
    func stepped(_ price: Price, ticks: Int, up: Bool) -> Price? {
        var current = price
        for _ in 0..<ticks {
            let nudged = Price(micros: current.micros + (up ? 1 : -1))
            guard let nudged, let next = round(nudged, up ? .up : .down) else { return nil }
            current = next
        }
        return current
    }
}

/// Other participants trading in the simulator: market makers quoting around a drifting fair price,
/// cancelling, and takers crossing the spread. Each `step()` is a pure function of the seed and the
/// exchange's state, so a run reproduces exactly for a seed.
public actor SyntheticActivity {
    public static let makers = ["sim-mm-1", "sim-mm-2", "sim-mm-3"]
    public static let taker = "sim-taker-1"

    private let exchange: SimExchange
    /// A venue that mirrors this one (`run-executor fidelity`'s demo venue): every order these participants
    /// place, cancel or send through is repeated there with the same price and size.
    private let mirror: SimExchange?
    /// Order ids here → the same order's id on the mirror.
    private var mirrored: [String: String] = [:]
    private var random: SplitMix64
    private var fair: [String: Price] = [:]
    private var tickers: [String] = []
    private var counter: UInt64 = 0

    public init(exchange: SimExchange, seed: UInt64, mirror: SimExchange? = nil) {
        self.exchange = exchange
        self.mirror = mirror
        random = SplitMix64(seed: seed)
    }

    /// Places an order here and on the mirror.
    private func place(_ account: String, _ request: CreateOrderV2Request) async {
        let placed = await exchange.createOrder(account: account, request)
        guard let mirror else { return }
        let copy = await mirror.createOrder(account: account, request)
        if case let .success(here) = placed, case let .success(there) = copy, here.remainingCount.isPositive {
            mirrored[here.orderID] = there.orderID
        }
    }

    private func prepare() async {
        guard tickers.isEmpty else { return }
        let specs = exchange.configuration.markets
        tickers = specs.map(\.ticker)
        for spec in specs { fair[spec.ticker] = spec.fairPrice }
        for account in Self.makers + [Self.taker] {
            await exchange.openAccount(account, balance: Dollars(micros: 10_000_000 * 1_000_000))
            await mirror?.openAccount(account, balance: Dollars(micros: 10_000_000 * 1_000_000))
        }
    }

    private func pick(_ upper: Int) -> Int { Int(random.next() % UInt64(max(upper, 1))) }

    /// Seeds every market with a few levels on each side.
    /// Where makers centre a market's quotes now.
    public func fairPrice(_ ticker: String) -> Price? { fair[ticker] }

    public func seedBooks(levels: Int = 5) async {
        await prepare()
        for ticker in tickers {
            for level in 1...levels {
                await quote(ticker, side: .bid, ticksAway: level)
                await quote(ticker, side: .ask, ticksAway: level)
            }
        }
    }

    /// One random action by another participant.
    public func step() async {
        await prepare()
        let ticker = tickers[pick(tickers.count)]
        let roll = pick(100)
        switch roll {
        case 0..<50:
            await quote(ticker, side: pick(2) == 0 ? .bid : .ask, ticksAway: 1 + pick(5))
        case 50..<75:
            await cancelOne(ticker)
        case 75..<95:
            await cross(ticker)
        default:
            await drift(ticker)
        }
    }

    private func grid(_ ticker: String) async -> PriceGrid {
        await exchange.markets[ticker]?.spec.grid ?? .linearCent
    }

    private func nextID() -> String {
        counter += 1
        return "syn-\(counter)"
    }

    private func quote(_ ticker: String, side: BookSide, ticksAway: Int) async {
        guard let center = fair[ticker] else { return }
        let grid = await grid(ticker)
        guard let anchor = grid.round(center, side == .bid ? .down : .up),
              let price = grid.stepped(anchor, ticks: ticksAway, up: side == .ask) else { return }
        let size = Contracts(hundredths: Int64(1 + pick(50)) * 100)
        let maker = Self.makers[pick(Self.makers.count)]
        await place(maker, CreateOrderV2Request(
            ticker: ticker, clientOrderID: nextID(), side: side, count: size, price: price, timeInForce: .goodTillCanceled,
            selfTradePreventionType: .maker))
    }

    private func cancelOne(_ ticker: String) async {
        let resting = await exchange.markets[ticker]?.book.restingOrders.filter { Self.makers.contains($0.account) } ?? []
        guard !resting.isEmpty else { return }
        let victim = resting[pick(resting.count)]
        _ = await exchange.cancelOrder(account: victim.account, orderID: victim.orderID)
        if let mirror, let twin = mirrored.removeValue(forKey: victim.orderID) {
            _ = await mirror.cancelOrder(account: victim.account, orderID: twin)
        }
    }

    private func cross(_ ticker: String) async {
        guard let book = await exchange.orderBook(ticker) else { return }
        let buy = pick(2) == 0
        guard let top = buy ? book.bestAsk(.yes) : book.bestBid(.yes) else { return }
        let size = Contracts(hundredths: min(top.size.hundredths, Int64(1 + pick(20)) * 100))
        await place(Self.taker, CreateOrderV2Request(
            ticker: ticker, clientOrderID: nextID(), side: buy ? .bid : .ask, count: size, price: top.price,
            timeInForce: .immediateOrCancel))
    }

    private func drift(_ ticker: String) async {
        guard let center = fair[ticker] else { return }
        let grid = await grid(ticker)
        let up = pick(2) == 0
        guard let moved = grid.stepped(center, ticks: 1, up: up), moved.micros >= 50_000, moved.micros <= 950_000 else { return }
        fair[ticker] = moved
    }

    /// Steps every `interval` until cancelled.
    public func run<C: Clock>(every interval: Duration, clock: C) async where C.Duration == Duration {
        while !Task.isCancelled {
            await step()
            do { try await clock.sleep(for: interval, tolerance: nil) } catch { return }
        }
    }
}
