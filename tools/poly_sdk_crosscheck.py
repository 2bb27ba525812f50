#!/usr/bin/env python3
"""The official Polymarket SDK (py-clob-client-v2) signs the orders a test gives it, for cross-checking
`run-executor poly sign-order` byte for byte.

usage: poly_sdk_crosscheck.py PRIVATE_KEY_HEX < cases.json > bodies.jsonl

Each case: {"token","side":"BUY"|"SELL","price","size","tick","neg_risk","order_type","owner","salt","timestamp",
"signature_type","funder"}. Each output line: {"body": <the POST /order body as the SDK serializes it>,
"exact": true|false, "exact_amounts": [maker, taker]}: `exact` is false when the SDK's binary-float amounts differ from the same arithmetic done
exactly in decimals (its round_down(0.29, 2) is 0.28), where `run-executor` computes exactly.
"""
import json, sys
from decimal import Decimal, ROUND_FLOOR, ROUND_HALF_UP

from py_clob_client_v2.signer import Signer
from py_clob_client_v2.order_builder.builder import OrderBuilder, ROUNDING_CONFIG
from py_clob_client_v2.order_utils.exchange_order_builder_v2 import ExchangeOrderBuilderV2
from py_clob_client_v2.order_utils.model.order_data_v2 import OrderDataV2, order_to_json_v2
from py_clob_client_v2.config import get_contract_config

key = sys.argv[1]
BYTES32_ZERO = "0x" + "00" * 32

def exact_amounts(side, price, size, cfg):
    p = Decimal(price).quantize(Decimal(1).scaleb(-cfg.price), rounding=ROUND_HALF_UP)
    shares = Decimal(size).quantize(Decimal("0.01"), rounding=ROUND_FLOOR)
    collateral = shares * p
    maker, taker = (collateral, shares) if side == "BUY" else (shares, collateral)
    return int(maker * 1_000_000), int(taker * 1_000_000)

for case in json.load(sys.stdin):
    signer = Signer(key, 137)
    builder = OrderBuilder(signer, signature_type=case.get("signature_type", 0), funder=case.get("funder") or None)
    cfg = ROUNDING_CONFIG[case["tick"]]
    side, maker, taker = builder.get_order_amounts(case["side"], float(case["size"]), float(case["price"]), cfg)
    contracts = get_contract_config(137)
    exchange = contracts.neg_risk_exchange_v2 if case["neg_risk"] else contracts.exchange_v2
    order_builder = ExchangeOrderBuilderV2(exchange, 137, signer, generate_salt=lambda: case["salt"], domain_version="2")
    data = OrderDataV2(maker=builder.funder, tokenId=case["token"], makerAmount=str(maker), takerAmount=str(taker), side=side,
                       signer=signer.address(), signatureType=case.get("signature_type", 0), timestamp=str(case["timestamp"]),
                       metadata=BYTES32_ZERO, builder=BYTES32_ZERO, expiration="0")
    signed = order_builder.build_signed_order(data)
    body = json.dumps(order_to_json_v2(signed, case["owner"], case["order_type"]), separators=(",", ":"), ensure_ascii=False)
    exact = exact_amounts(case["side"], case["price"], case["size"], cfg)
    print(json.dumps({"body": body, "exact": (maker, taker) == exact, "exact_amounts": list(exact)}))
