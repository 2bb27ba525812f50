import Markets
import Metrics
import Prometheus
import Synchronization

/// The latencies an execution is measured by.
public enum LatencyStage: String, Sendable, Hashable, CaseIterable, Codable {
    case signalToSubmitted = "signal_to_submitted"
    case submittedToAcknowledged = "submitted_to_acknowledged"
    case signalToFirstFill = "signal_to_first_fill"
    case signalToComplete = "signal_to_complete"
}

/// Percentiles of one latency, in microseconds.
public struct LatencySummary: Sendable, Hashable, Codable {
    public let count: UInt64
    public let p50: UInt64
    public let p90: UInt64
    public let p99: UInt64
    public let max: UInt64
}

/// Execution metrics: HdrHistogram latencies (exact percentiles for stats and reports) and counters,
/// all also published through swift-metrics into a Prometheus registry that the admin server exposes.
public final class ExecutionMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    private let histograms: Mutex<[LatencyStage: LatencyHistogram]>
    private let timers: [LatencyStage: Metrics.Timer]
    private let counts = Mutex<[String: Int]>([:])
    /// Counters made once per name and labels (making one takes the registry's lock).
    private let counterCache = Mutex<[String: Metrics.Counter]>([:])

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [.microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
                                                   .milliseconds(5), .milliseconds(10), .milliseconds(50), .milliseconds(250), .seconds(1), .seconds(5), .seconds(30)]
        self.factory = factory
        var histograms: [LatencyStage: LatencyHistogram] = [:]
        var timers: [LatencyStage: Metrics.Timer] = [:]
        for stage in LatencyStage.allCases {
            // Microseconds, up to an hour, three significant digits.
            histograms[stage] = LatencyHistogram(highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .three)
            timers[stage] = Metrics.Timer(label: "executor_latency", dimensions: [("stage", stage.rawValue)], factory: factory)
        }
        self.histograms = Mutex(histograms)
        self.timers = timers
    }

    public func record(_ stage: LatencyStage, _ duration: Duration) {
        let nanoseconds = max(Int64(0), duration.wholeNanoseconds)
        let micros = UInt64(nanoseconds / 1_000)
        _ = histograms.withLock { $0[stage]?.record(min(micros, 3_600_000_000)) }
        timers[stage]?.recordNanoseconds(nanoseconds)
    }

    /// Increments the counter `name` (Prometheus `executor_<name>_total`) with optional labels.
    public func count(_ name: String, _ dimensions: [(String, String)] = [], by amount: Int = 1) {
        let key = ([name] + dimensions.map { "\($0.0)=\($0.1)" }).joined(separator: " ")
        let factory = factory
        let counter = counterCache.withLock { cache in
            if let known = cache[key] { return known }
            let made = Metrics.Counter(label: "executor_\(name)_total", dimensions: dimensions, factory: factory)
            cache[key] = made
            return made
        }
        counter.increment(by: amount)
        counts.withLock { $0[key, default: 0] += amount }
    }

    /// Every counter so far, keyed `name label=value…`.
    public var counters: [String: Int] { counts.withLock { $0 } }

    public func summary(_ stage: LatencyStage) -> LatencySummary {
        histograms.withLock { all in
            guard let histogram = all[stage] else { return LatencySummary(count: 0, p50: 0, p90: 0, p99: 0, max: 0) }
            return LatencySummary(count: histogram.totalCount, p50: histogram.valueAtPercentile(50), p90: histogram.valueAtPercentile(90),
                                  p99: histogram.valueAtPercentile(99), max: histogram.totalCount == 0 ? 0 : histogram.max)
        }
    }

    /// The Prometheus text exposition of every metric.
    public func prometheusText() -> String { registry.emitToString() }
}
