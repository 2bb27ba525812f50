import Histogram

/// HdrHistogram's histogram, named apart from Prometheus's `Histogram` (both modules export one).
typealias LatencyHistogram = Histogram<UInt64>
