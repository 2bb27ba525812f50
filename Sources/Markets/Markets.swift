/// # Markets
///
/// The domain model every other module speaks, with no I/O: fixed-point money (`Dollars`, `Price`) and
/// size (`Contracts`), trade direction (`OrderAction`, `OutcomeSide`, `BookSide`) and its exact mapping to
/// Kalshi's V2 single-YES-book orders, market price grids (`PriceGrid` from `price_ranges`), fee
/// estimates (`KalshiFees`) and the trader's risk limits (`RiskLimits`).
///
/// Money is never `Double`: amounts are micro-dollars and counts are hundredths of a contract, both
/// `Int64`, parsed exactly from Kalshi's fixed-point strings or rejected with an error naming the input.
public enum MarketsModule {}
