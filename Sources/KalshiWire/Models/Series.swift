/// `Series` (OAS 3.31.0): the fee rules of a family of events.
public struct KalshiSeries: Hashable, Sendable, Codable {
    public var ticker: String
    public var frequency: String
    public var title: String
    public var category: String
    /// `quadratic`, `quadratic_with_maker_fees`, `quadratic_with_combo_maker_fees` or `flat`.
    public var feeType: String
    public var feeMultiplier: Double
    public var exchangeIndex: Int?
    public var categories: [String]?
    public var tags: [String]?
    public var settlementSources: [KalshiSettlementSource]?
    public var contractURL: String?
    public var contractTermsURL: String?
    public var additionalProhibitions: [String]?

    public init(ticker: String, frequency: String, title: String, category: String, feeType: String, feeMultiplier: Double) {
        self.ticker = ticker
        self.frequency = frequency
        self.title = title
        self.category = category
        self.feeType = feeType
        self.feeMultiplier = feeMultiplier
    }

    enum CodingKeys: String, CodingKey {
        case ticker, frequency, title, category
        case feeType = "fee_type"
        case feeMultiplier = "fee_multiplier"
        case exchangeIndex = "exchange_index"
        case categories, tags
        case settlementSources = "settlement_sources"
        case contractURL = "contract_url"
        case contractTermsURL = "contract_terms_url"
        case additionalProhibitions = "additional_prohibitions"
    }
}

public struct GetSeriesResponse: Hashable, Sendable, Codable {
    public var series: KalshiSeries
    public init(series: KalshiSeries) { self.series = series }
}

public struct GetSeriesListResponse: Hashable, Sendable, Codable {
    public var series: [KalshiSeries]
    public init(series: [KalshiSeries]) { self.series = series }
}
