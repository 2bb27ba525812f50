import ExecutorTesting
import Foundation
import Testing
@testable import KalshiWire

@Suite("Every response model decodes the spec's payloads")
struct SpecExamplesTests {
    static var models: [(String, any Decodable.Type)] { [
        ("GetMarketsResponse", GetMarketsResponse.self), ("GetMarketResponse", GetMarketResponse.self),
        ("GetEventsResponse", GetEventsResponse.self), ("GetEventResponse", GetEventResponse.self),
        ("GetTradesResponse", GetTradesResponse.self), ("GetMarketOrderbookResponse", GetMarketOrderbookResponse.self),
        ("GetMarketOrderbooksResponse", GetMarketOrderbooksResponse.self), ("ExchangeStatus", ExchangeStatus.self),
        ("GetOrdersResponse", GetOrdersResponse.self), ("GetOrderResponse", GetOrderResponse.self),
        ("GetFillsResponse", GetFillsResponse.self), ("GetPositionsResponse", GetPositionsResponse.self),
        ("GetBalanceResponse", GetBalanceResponse.self), ("GetAccountApiLimitsResponse", GetAccountApiLimitsResponse.self),
        ("CreateOrderV2Response", CreateOrderV2Response.self), ("CancelOrderV2Response", CancelOrderV2Response.self),
        ("AmendOrderV2Response", AmendOrderV2Response.self), ("DecreaseOrderV2Response", DecreaseOrderV2Response.self),
        ("BatchCreateOrdersV2Response", BatchCreateOrdersV2Response.self),
        ("BatchCancelOrdersV2Response", BatchCancelOrdersV2Response.self), ("ErrorResponse", KalshiErrorBody.self),
    ] }

    @Test("decode", arguments: models.map(\.0))
    func decode(schema: String) throws {
        let examples = try SpecExamples.load()
        let data = try #require(examples[schema], "fixture has \(schema)")
        let type = try #require(Self.models.first { $0.0 == schema }?.1)
        do {
            _ = try KalshiJSON.decoder().decode(type, from: data)
        } catch {
            Issue.record("\(schema): \(KalshiJSON.describe(error))")
        }
    }

    @Test("a missing required field is named in the error")
    func missingField() throws {
        var order = try JSONSerialization.jsonObject(with: try #require(SpecExamples.load()["GetOrderResponse"])) as? [String: Any] ?? [:]
        var inner = order["order"] as? [String: Any] ?? [:]
        inner["remaining_count_fp"] = nil
        order["order"] = inner
        do {
            _ = try KalshiJSON.decoder().decode(GetOrderResponse.self, from: JSONSerialization.data(withJSONObject: order))
            Issue.record("decoded without a required field")
        } catch {
            #expect(KalshiJSON.describe(error) == "field order.remaining_count_fp: missing")
        }
    }
}
