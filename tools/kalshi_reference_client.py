#!/usr/bin/env python3
"""An independent Kalshi client (Python `cryptography`, signing as Kalshi's docs and SDK do), used by the
test suite to prove the simulator accepts any correctly signing client, not only this project's.

usage: kalshi_reference_client.py BASE_URL KEY_ID PRIVATE_KEY_PEM_PATH TICKER
Places one resting V2 bid, reads it back, cancels it, prints a JSON summary.
"""
import base64, json, sys, time, urllib.parse, urllib.request, uuid
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

base, key_id, key_path, ticker = sys.argv[1:5]
key = serialization.load_pem_private_key(open(key_path, 'rb').read(), password=None)
root = urllib.parse.urlparse(base).path  # /trade-api/v2

def call(method, path, body=None):
    ts = str(int(time.time() * 1000))
    signed = (root + path).split('?')[0]
    sig = key.sign((ts + method + signed).encode(), padding.PSS(mgf=padding.MGF1(hashes.SHA256()),
                   salt_length=padding.PSS.DIGEST_LENGTH), hashes.SHA256())
    req = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body else None, headers={
        'KALSHI-ACCESS-KEY': key_id, 'KALSHI-ACCESS-TIMESTAMP': ts,
        'KALSHI-ACCESS-SIGNATURE': base64.b64encode(sig).decode(), 'Content-Type': 'application/json'})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status, json.loads(r.read() or b'{}')

status, created = call('POST', '/portfolio/events/orders', {
    'ticker': ticker, 'client_order_id': str(uuid.uuid4()), 'side': 'bid', 'count': '3.00', 'price': '0.0300',
    'time_in_force': 'good_till_canceled', 'self_trade_prevention_type': 'taker_at_cross'})
_, order = call('GET', '/portfolio/orders/' + created['order_id'])
_, cancel = call('DELETE', '/portfolio/events/orders/' + created['order_id'] + '?market_ticker=' + ticker)
_, balance = call('GET', '/portfolio/balance')
print(json.dumps({'create_status': status, 'order_status': order['order']['status'], 'book_side': order['order']['book_side'],
                  'yes_price': order['order']['yes_price_dollars'], 'reduced_by': cancel['reduced_by'],
                  'balance_dollars': balance['balance_dollars']}))
