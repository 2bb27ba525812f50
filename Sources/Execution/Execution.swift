/// # Execution
///
/// Where signals become orders and orders become fills: the order state machine (`OrderLifecycle`), and —
/// as they land — the `Executor` protocol with its paper and Kalshi implementations, the circuit breaker,
/// the order manager, the SQLite journal and reconciliation. Outcomes are definitive or ambiguous; only
/// definitive ones become rejections.
public enum ExecutionModule {}
