import Foundation
import Markets
import PolymarketWire

/// Other participants on the Polymarket simulator: makers quoting both tokens around a drifting fair
/// price on the market's tick, cancelling, and takers crossing the spread. Each `step()` is a pure
/// function of the seed and the exchange's state, so a run reproduces for a seed.
public actor PolySyntheticActivity {
    private let exchange: PolySimExchange
    private var random: SplitMix64
    private var fair: [String: Price] = [:]
    private var specs: [PolySimMarketSpec] = []
    /// The paired Kalshi market's fair price, when this activity follows it (the embedded default).
    private var reference: (@Sendable (String) async -> Price?)?
    /// Per market, how far (in cents) the fair price sits from the reference's: a seeded walk, so the
    /// paired books drift apart and together and arbitrage opens and closes.
    private var gap: [String: Int] = [:]

    public init(exchange: PolySimExchange, seed: UInt64) {
        self.exchange = exchange
        random = SplitMix64(seed: seed ^ 0x706F_6C79)  // a different stream from the Kalshi simulator's for the same seed
    }

    private func prepare() async {
        guard specs.isEmpty else { return }
        specs = await exchange.markets
        for spec in specs { fair[spec.conditionID] = spec.fairPrice }
    }

    /// Centres paired markets on `reference` (a Kalshi market's fair price) plus a drifting gap of up to
    /// `maxGapCents` cents either way.
    public func follow(maxGapCents: Int = 12, _ reference: @escaping @Sendable (String) async -> Price?) {
        self.reference = reference
        self.maxGapTicks = maxGapCents
    }
    private var maxGapTicks = 10

    private func pick(_ upper: Int) -> Int { Int(random.next() % UInt64(max(upper, 1))) }

    /// Seeds every market with `levels` levels on each side of its YES book.
    public func seedBooks(levels: Int = 5) async {
        await prepare()
        for spec in specs {
            for level in 1...levels {
                await quote(spec, buy: true, ticksAway: level)
                await quote(spec, buy: false, ticksAway: level)
            }
        }
    }

    /// One random action by another participant.
    public func step() async {
        await prepare()
        guard !specs.isEmpty else { return }
        let spec = specs[pick(specs.count)]
        switch pick(100) {
        case 0..<50: await quote(spec, buy: pick(2) == 0, ticksAway: 1 + pick(5))
        case 50..<75: await cancelOne(spec)
        case 75..<(reference == nil ? 95 : 80): await cross(spec)
        default: await drift(spec)
        }
    }

    /// A YES price `ticks` ticks from `price` on the market's tick, inside (0, 1).
    private func stepped(_ price: Price, ticks: Int, tick: PolyTickSize) -> Price? {
        let micros = price.micros / tick.micros * tick.micros + Int64(ticks) * tick.micros
        guard micros >= tick.micros, micros <= 1_000_000 - tick.micros else { return nil }
        return Price(micros: micros)
    }

    /// A maker quote, on the YES token or (half the time) as the equivalent order on the NO token.
    private func quote(_ spec: PolySimMarketSpec, buy: Bool, ticksAway: Int) async {
        guard let center = fair[spec.conditionID], let yesPrice = stepped(center, ticks: buy ? -ticksAway : ticksAway, tick: spec.tick) else { return }
        let size = Contracts(hundredths: Int64(5 + pick(50)) * 100)
        let maker = "sim-mm-" + String(1 + pick(3))
        if pick(2) == 0 {
            await exchange.quote(spec.yesToken, buy ? .buy : .sell, price: yesPrice, count: size, owner: maker)
        } else {
            // Buying YES at p rests the same as selling NO at 1 − p.
            await exchange.quote(spec.noToken, buy ? .sell : .buy, price: yesPrice.complement, count: size, owner: maker)
        }
    }

    private func cancelOne(_ spec: PolySimMarketSpec) async {
        let resting = await exchange.syntheticOrders(condition: spec.conditionID)
        guard !resting.isEmpty else { return }
        _ = await exchange.cancelSynthetic(resting[pick(resting.count)])
    }

    private func cross(_ spec: PolySimMarketSpec) async {
        let token = pick(2) == 0 ? spec.yesToken : spec.noToken
        guard let book = await exchange.bookSummary(token: token) else { return }
        let buy = pick(2) == 0
        guard let top = buy ? book.asks.last : book.bids.last, let price = try? Price(parsing: top.price), let size = try? Contracts(parsing: top.size) else { return }
        let count = Contracts(hundredths: min(size.hundredths, Int64(1 + pick(20)) * 100))
        await exchange.syntheticTake(token, buy ? .buy : .sell, price: price, count: count)
    }

    private func drift(_ spec: PolySimMarketSpec) async {
        if let reference, let paired = spec.pairedKalshiTicker, let base = await reference(paired) {
            let moved = max(-maxGapTicks, min(maxGapTicks, (gap[spec.conditionID] ?? 0) + pick(11) - 5))
            gap[spec.conditionID] = moved
            // The gap counts cents whatever the tick.
            if let centre = stepped(base, ticks: moved * Int(10_000 / max(spec.tick.micros, 1)), tick: spec.tick), centre.micros >= 50_000,
               centre.micros <= 950_000 {
                fair[spec.conditionID] = centre
                // Makers pull their quotes and re-quote around the new centre.
                for id in await exchange.syntheticOrders(condition: spec.conditionID) { _ = await exchange.cancelSynthetic(id) }
                for level in 1...3 {
                    await quote(spec, buy: true, ticksAway: level)
                    await quote(spec, buy: false, ticksAway: level)
                }
            }
            return
        }
        guard let center = fair[spec.conditionID], let moved = stepped(center, ticks: pick(2) == 0 ? 1 : -1, tick: spec.tick),
              moved.micros >= 50_000, moved.micros <= 950_000 else { return }
        fair[spec.conditionID] = moved
    }

    /// Steps every `interval` until cancelled.
    public func run<C: Clock>(every interval: Duration, clock: C) async where C.Duration == Duration {
        while !Task.isCancelled {
            await step()
            do { try await clock.sleep(for: interval, tolerance: nil) } catch { return }
        }
    }
}
