import Testing
@testable import Markets

@Suite("Price grids from price_ranges")
struct PriceGridTests {
    static let tapered = PriceGrid.taperedDeciCent

    @Test("validity on cent, deci-cent and tapered grids", arguments: [
        (PriceGrid.linearCent, "0.56", true), (.linearCent, "0.565", false), (.linearCent, "0.01", true),
        (.linearCent, "0.99", true), (.deciCent, "0.565", true), (.deciCent, "0.5655", false),
        (tapered, "0.055", true), (tapered, "0.155", false), (tapered, "0.15", true), (tapered, "0.905", true),
        (tapered, "0.10", true), (tapered, "0.90", true), (tapered, "0.001", true), (tapered, "0.999", true),
    ])
    func validity(grid: PriceGrid, price: String, valid: Bool) throws {
        #expect(grid.contains(try Price(parsing: price)) == valid)
    }

    @Test("from the wire, a sub-cent centi grid")
    func wire() throws {
        let grid = try PriceGrid(ranges: [
            PriceRange(start: "0.00", end: "0.01", step: "0.0001"),
            PriceRange(start: "0.01", end: "0.99", step: "0.001"),
            PriceRange(start: "0.99", end: "1.00", step: "0.0001"),
        ])
        #expect(grid.contains(try Price(parsing: "0.0057")))
        #expect(!grid.contains(try Price(parsing: "0.0157")))
        #expect(grid.contains(try Price(parsing: "0.157")))
        #expect(grid.contains(try Price(parsing: "0.9957")))
    }

    @Test("malformed price_ranges are errors naming the problem")
    func malformed() {
        #expect(throws: PriceGridError.self) { try PriceRange(start: "0.1", end: "0.1", step: "0.01") }
        #expect(throws: PriceGridError.self) { try PriceRange(start: "0", end: "1", step: "0") }
        #expect(throws: PriceGridError.self) { try PriceRange(start: "0", end: "1.5", step: "0.01") }
        #expect(throws: PriceGridError.self) { try PriceRange(start: "x", end: "1", step: "0.01") }
        #expect(throws: PriceGridError.self) { try PriceGrid(ranges: []) }
        do {
            _ = try PriceRange(start: "0", end: "1", step: "abc")
        } catch {
            #expect(error.description.contains("step"))
            #expect(error.description.contains("\"abc\""))
        }
    }

    @Test("rounding onto the grid", arguments: [
        (tapered, "0.1555", RoundingDirection.down, "0.15"), (tapered, "0.1555", .up, "0.16"),
        (tapered, "0.0555", .down, "0.055"), (tapered, "0.0555", .up, "0.056"),
        (tapered, "0.0999", .up, "0.10"), (tapered, "0.9011", .down, "0.901"),
        (PriceGrid.linearCent, "0.56", .down, "0.56"), (.linearCent, "0.565", .up, "0.57"),
        (.linearCent, "0.995", .down, "0.99"),
    ])
    func rounding(grid: PriceGrid, price: String, direction: RoundingDirection, expected: String) throws {
        #expect(grid.round(try Price(parsing: price), direction) == (try Price(parsing: expected)))
    }

    @Test("no grid point that way inside (0, 1)")
    func roundingOffTheEdge() throws {
        #expect(PriceGrid.linearCent.round(try Price(parsing: "0.005"), .down) == nil)
        #expect(PriceGrid.linearCent.round(try Price(parsing: "0.995"), .up) == nil)
    }

    @Test("safe side: buyers never pay more, sellers never receive less", arguments: [
        (OrderAction.buy, OutcomeSide.yes, "0.565", BookSide.bid, "0.56"),
        (.sell, .yes, "0.565", .ask, "0.57"),
        (.buy, .no, "0.435", .ask, "0.57"),   // pays NO 0.43 ≤ 0.435
        (.sell, .no, "0.435", .bid, "0.56"),  // receives NO 0.44 ≥ 0.435
    ])
    func safeSide(action: OrderAction, side: OutcomeSide, price: String, book: BookSide, yes: String) throws {
        let quote = PriceGrid.linearCent.safeQuote(action: action, side: side, price: try Price(parsing: price))
        #expect(quote == KalshiV2Quote(bookSide: book, yesPrice: try Price(parsing: yes)))
    }
}
