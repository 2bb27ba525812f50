/// # ExchangeSim
///
/// A faithful, deterministic Kalshi-compatible exchange for the embedded default run, the integration
/// tests and the benchmarks. Its core is `MatchingBook`: one YES book per market with price-time
/// priority, where a bid buys YES and an ask sells YES (≡ buys NO at 1 − price), exactly like Kalshi's V2
/// orders. Product code never imports this module.
public enum ExchangeSimModule {}
