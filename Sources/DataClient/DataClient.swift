import Markets

/// # DataClient
///
/// Read-only market data from the data venue (production in hybrid mode): discovery, order books,
/// trades, lifecycle. It keeps live local order books (`OrderBookStore`) that are served only while they
/// are provably in sequence. Nothing in this module can place, amend or cancel an order.

// `ServedBook` and `MarketDataSource` live in `Markets` (every venue's data speaks them).
