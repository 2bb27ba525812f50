#!/usr/bin/env python3
"""Builds Sources/ExecutorTesting/Fixtures/kalshi-spec-examples.json from the official OpenAPI spec.

For each response schema the product models: the spec's own `example` when it has one, else an instance
synthesised from the schema (every property present, values typed as the spec says: FixedPointDollars
"0.5600", FixedPointCount "10.00", enums their first value). Run when the spec changes:
    python3 scripts/gen-spec-examples.py ../shared/api/specs/kalshi-openapi.yaml
"""
import json, sys, yaml

SCHEMAS = ['GetMarketsResponse', 'GetMarketResponse', 'GetEventsResponse', 'GetEventResponse', 'GetTradesResponse',
           'GetMarketOrderbookResponse', 'GetMarketOrderbooksResponse', 'ExchangeStatus', 'GetOrdersResponse',
           'GetOrderResponse', 'GetFillsResponse', 'GetPositionsResponse', 'GetBalanceResponse',
           'GetAccountApiLimitsResponse', 'CreateOrderV2Response', 'CancelOrderV2Response', 'AmendOrderV2Response',
           'DecreaseOrderV2Response', 'BatchCreateOrdersV2Response', 'BatchCancelOrdersV2Response', 'ErrorResponse']

spec = yaml.safe_load(open(sys.argv[1] if len(sys.argv) > 1 else '../shared/api/specs/kalshi-openapi.yaml'))
S = spec['components']['schemas']

def resolve(node):
    while '$ref' in node:
        node = S[node['$ref'].split('/')[-1]]
    return node

def sample(node, name='', depth=0):
    ref = node.get('$ref', '').split('/')[-1]
    if ref == 'FixedPointDollars': return '0.5600'
    if ref == 'FixedPointCount': return '10.00'
    if ref == 'PriceLevelDollarsCountFp': return ['0.1500', '100.00']
    if 'allOf' in node: return sample(node['allOf'][0], name, depth)
    node = resolve(node) if ref else node
    if 'example' in node and depth > 0 and not isinstance(node['example'], (dict, list)): return node['example']
    if 'enum' in node: return node['enum'][0]
    t = node.get('type')
    if t == 'object' or 'properties' in node:
        if depth > 6: return {}
        return {k: sample(v, k, depth + 1) for k, v in node.get('properties', {}).items()}
    if t == 'array': return [sample(node['items'], name, depth + 1)] if depth < 6 else []
    if t == 'integer': return 1715793600 if 'ts' in name or 'time' in name else 1
    if t == 'number': return 1.5
    if t == 'boolean': return False
    if node.get('format') == 'date-time' or name.endswith('_time') or name.endswith('_ts'): return '2026-01-11T17:00:00Z'
    if name == 'price_ranges': return []
    return 'sample-' + name if name else 'sample'

out = {}
for name in SCHEMAS:
    schema = S[name]
    out[name] = schema['example'] if 'example' in schema else sample(schema, name, 0)
json.dump(out, open('Sources/ExecutorTesting/Fixtures/kalshi-spec-examples.json', 'w'), indent=1, sort_keys=True)
print('wrote', len(out), 'examples')
