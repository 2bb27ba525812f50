import ExecutorTesting
import Markets
import Testing
@testable import DataClient


@Suite("Local order books served only while in sequence")
struct OrderBookStoreTests {
    static func snapshot(_ ticker: String) throws -> OrderBook {
        try OrderBook(ticker: ticker, yesBids: [BookLevel(price: price("0.40"), size: contracts("10"))],
                      noBids: [BookLevel(price: price("0.55"), size: contracts("5"))])
    }

    @Test("delta before snapshot is ignored safely")
    func deltaBeforeSnapshot() async throws {
        let store = OrderBookStore()
        let outcome = await store.applyDelta(ticker: "A", side: .yes, price: price("0.4"), delta: contracts("1"), sid: 1, seq: 1)
        #expect(outcome == .ignored)
        #expect(await store.book("A") == .unknown)
    }

    @Test("snapshot then deltas; TS-02 cancel at the best bid clears the level")
    func snapshotThenDeltas() async throws {
        let store = OrderBookStore()
        await store.applySnapshot(try Self.snapshot("A"), sid: 1, seq: 1)
        #expect(await store.applyDelta(ticker: "A", side: .yes, price: price("0.42"), delta: contracts("3"), sid: 1, seq: 2) == .applied)
        #expect(await store.book("A").freshBook?.bestBid(.yes)?.price == (price("0.42")))
        #expect(await store.applyDelta(ticker: "A", side: .yes, price: price("0.42"), delta: contracts("-3"), sid: 1, seq: 3) == .applied)
        let book = try #require(await store.book("A").freshBook)
        #expect(book.bestBid(.yes) == BookLevel(price: price("0.40"), size: contracts("10")))
        #expect(await store.book("A") == .fresh(book, seq: 3))
    }

    @Test("TS-03 a sequence gap makes every book of the subscription stale until re-snapshotted")
    func gap() async throws {
        let store = OrderBookStore()
        await store.applySnapshot(try Self.snapshot("A"), sid: 7, seq: 1)
        await store.applySnapshot(try Self.snapshot("B"), sid: 7, seq: 2)
        await store.applySnapshot(try Self.snapshot("C"), sid: 8, seq: 1)
        let outcome = await store.applyDelta(ticker: "A", side: .no, price: price("0.55"), delta: contracts("1"), sid: 7, seq: 4)
        #expect(outcome == .gap(expected: 3, received: 4, staleTickers: ["A", "B"]))
        #expect(await store.book("A") == .stale)
        #expect(await store.book("B") == .stale)
        #expect(await store.book("C").freshBook != nil, "other subscriptions are unaffected")
        // Deltas while stale are ignored; the snapshot restores service.
        #expect(await store.applyDelta(ticker: "A", side: .no, price: price("0.55"), delta: contracts("1"), sid: 7, seq: 5) == .ignored)
        await store.applySnapshot(try Self.snapshot("A"), sid: 7, seq: 6)
        #expect(await store.book("A").freshBook == (try Self.snapshot("A")))
        #expect(await store.staleTickers() == ["B"])
    }

    @Test("a delta that would make a level negative marks the book stale instead of serving it")
    func inconsistent() async throws {
        let store = OrderBookStore()
        await store.applySnapshot(try Self.snapshot("A"), sid: 1, seq: 1)
        let outcome = await store.applyDelta(ticker: "A", side: .yes, price: price("0.40"), delta: contracts("-11"), sid: 1, seq: 2)
        guard case .inconsistent(ticker: "A", reason: _) = outcome else {
            Issue.record("expected inconsistent, got \(outcome)")
            return
        }
        #expect(await store.book("A") == .stale)
    }

    @Test("a dropped connection makes everything stale")
    func dropped() async throws {
        let store = OrderBookStore()
        await store.applySnapshot(try Self.snapshot("A"), sid: 1, seq: 1)
        await store.markAllStale()
        #expect(await store.book("A") == .stale)
        await store.applySnapshot(try Self.snapshot("A"), sid: 3, seq: 1)
        #expect(await store.book("A").freshBook != nil)
    }
}
