#!/usr/bin/env python3
"""An independent client that checks a Kalshi-compatible venue against Kalshi's official OpenAPI schemas.

usage: kalshi_schema_check.py SPEC_YAML BASE_URL KEY_ID PRIVATE_KEY_PEM_PATH TICKER

Signs like Kalshi's docs (RSA-PSS, Python `cryptography`), calls every REST endpoint this project uses (market
data, V2 order entry, portfolio, errors), and validates each response body against the schema the spec names
for that path, method and status (`jsonschema`; OpenAPI 3.0 `nullable` read as JSON Schema's null type).
Prints one JSON object: the calls checked and every violation with its path in the body. Exit 1 on any.
"""
import base64, copy, json, re, sys, time, urllib.error, urllib.parse, urllib.request, uuid

import jsonschema
import yaml
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

spec_path, base, key_id, key_path, ticker = sys.argv[1:6]
spec = yaml.safe_load(open(spec_path))
key = serialization.load_pem_private_key(open(key_path, 'rb').read(), password=None)
root = urllib.parse.urlparse(base).path  # /trade-api/v2


def openapi_to_jsonschema(node):
    """OpenAPI 3.0 → JSON Schema: `nullable: true` allows null; everything else is already JSON Schema."""
    if isinstance(node, list):
        return [openapi_to_jsonschema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {k: openapi_to_jsonschema(v) for k, v in node.items() if k not in ('example', 'examples', 'discriminator', 'xml', 'externalDocs')}
    if node.pop('nullable', False):
        if isinstance(node.get('type'), str):
            node['type'] = [node['type'], 'null']
        else:
            node = {'anyOf': [node, {'type': 'null'}]}
    return node


components = openapi_to_jsonschema(spec['components'])


def schema_for(method, path, status):
    """The response schema the spec names for a concrete request path."""
    for template, ops in spec['paths'].items():
        pattern = '^' + re.sub(r'\{[^}]+\}', '[^/]+', template) + '$'
        if not re.match(pattern, path) or method.lower() not in ops:
            continue
        responses = ops[method.lower()].get('responses', {})
        response = responses.get(str(status)) or responses.get('default')
        if response is None:
            return template, None
        if '$ref' in response:
            response = spec['components']['responses'][response['$ref'].split('/')[-1]]
        schema = response.get('content', {}).get('application/json', {}).get('schema')
        if schema is None and not str(status).startswith('2'):
            schema = {'$ref': '#/components/schemas/ErrorResponse'}  # Kalshi's error body, whatever the status
        return template, schema
    return None, None


def call(method, path, body=None):
    ts = str(int(time.time() * 1000))
    signed = (root + path).split('?')[0]
    sig = key.sign((ts + method + signed).encode(), padding.PSS(mgf=padding.MGF1(hashes.SHA256()),
                   salt_length=padding.PSS.DIGEST_LENGTH), hashes.SHA256())
    req = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body is not None else None, headers={
        'KALSHI-ACCESS-KEY': key_id, 'KALSHI-ACCESS-TIMESTAMP': ts,
        'KALSHI-ACCESS-SIGNATURE': base64.b64encode(sig).decode(), 'Content-Type': 'application/json'})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


checked, violations = [], []


def check(method, path, body=None, expect=None):
    status, raw = call(method, path, body)
    label = f'{method} {path.split("?")[0]} → {status}'
    if expect is not None and status != expect:
        violations.append({'call': label, 'error': f'expected HTTP {expect}', 'body': raw[:300].decode(errors='replace')})
        return None
    template, schema = schema_for(method, path.split('?')[0], status)
    if template is None:
        violations.append({'call': label, 'error': 'no such path in the spec'})
        return None
    data = json.loads(raw) if raw else {}
    if schema is not None:
        root_schema = dict(openapi_to_jsonschema(copy.deepcopy(schema)))
        root_schema['components'] = components
        validator = jsonschema.Draft7Validator(root_schema)
        for error in sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path)):
            where = '$' + ''.join(f'[{p}]' if isinstance(p, int) else f'.{p}' for p in error.absolute_path)
            violations.append({'call': label, 'at': where, 'error': error.message[:300]})
    checked.append(label + (f' ({schema["$ref"].split("/")[-1]})' if schema and '$ref' in schema else ''))
    return data


# Market data.
check('GET', '/exchange/status', expect=200)
markets = check('GET', '/markets?status=open&limit=5', expect=200)
check('GET', f'/markets/{ticker}', expect=200)
check('GET', f'/markets/{ticker}/orderbook', expect=200)
check('GET', f'/markets/orderbooks?tickers={ticker}', expect=200)
check('GET', f'/markets/trades?ticker={ticker}&limit=5', expect=200)
event_ticker = (markets or {}).get('markets', [{}])[0].get('event_ticker', '')
check('GET', '/events?limit=5&with_nested_markets=true', expect=200)
check('GET', f'/events/{event_ticker}', expect=200)
series = event_ticker.split('-')[0]
check('GET', f'/series/{series}', expect=200)
check('GET', '/markets/NO-SUCH-MARKET')  # an error body

# Order entry (V2) and the portfolio.
order = {'ticker': ticker, 'client_order_id': str(uuid.uuid4()), 'side': 'bid', 'count': '3.00', 'price': '0.0300',
         'time_in_force': 'good_till_canceled', 'self_trade_prevention_type': 'taker_at_cross'}
created = check('POST', '/portfolio/events/orders', order, expect=201) or {}
order_id = created.get('order_id', 'missing')
check('GET', f'/portfolio/orders/{order_id}', expect=200)
check('POST', f'/portfolio/events/orders/{order_id}/amend',
      {'ticker': ticker, 'side': 'bid', 'price': '0.0400', 'count': '3.00'}, expect=200)
check('POST', f'/portfolio/events/orders/{order_id}/decrease', {'reduce_by': '1.00', 'market_ticker': ticker}, expect=200)
check('GET', '/portfolio/orders?limit=10', expect=200)
check('DELETE', f'/portfolio/events/orders/{order_id}?market_ticker={ticker}', expect=200)
batch = {'orders': [dict(order, client_order_id=str(uuid.uuid4())), dict(order, client_order_id=str(uuid.uuid4()), price='0.0200')]}
created_batch = check('POST', '/portfolio/events/orders/batched', batch, expect=201) or {}
ids = [entry.get('order', {}).get('order_id') or entry.get('order_id') for entry in created_batch.get('orders', [])]
check('DELETE', '/portfolio/events/orders/batched', {'orders': [{'order_id': i, 'market_ticker': ticker} for i in ids if i]}, expect=200)
check('POST', '/portfolio/events/orders', dict(order, client_order_id=str(uuid.uuid4()), count='0.00'))  # a rejection body
# A crossing IOC: the caller rests an ask in the book first, so fills, positions and trades are not empty.
check('POST', '/portfolio/events/orders', dict(order, client_order_id=str(uuid.uuid4()), price='0.9900', count='1.00',
                                               time_in_force='immediate_or_cancel'), expect=201)
check('GET', f'/markets/trades?ticker={ticker}&limit=5', expect=200)
check('GET', '/portfolio/fills?limit=10', expect=200)
check('GET', '/portfolio/positions?limit=10', expect=200)
check('GET', '/portfolio/balance', expect=200)
check('GET', '/account/limits', expect=200)

print(json.dumps({'checked': checked, 'violations': violations}, indent=1))
sys.exit(1 if violations else 0)
