#!/usr/bin/env python3
"""Writes the seed corpus (fuzz/corpus/<target>/seed-*): valid, rotated, unknown-version,
malformed and hostile examples of each input, laid out as fuzz/src/targets.rs reads them.
Deterministic; re-run after changing a layout."""
import base64, hashlib, hmac, json, os, pathlib

ROOT = pathlib.Path(__file__).resolve().parent / "corpus"
NOW = 1_700_000_000
STRIPE = b"whsec_fuzz_stripe_secret"
STANDARD = base64.b64decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
RAW = b"fuzz-raw-secret"
BODY = json.dumps({"id": "evt_1", "type": "charge.succeeded", "created": NOW, "livemode": False,
                   "data": {"object": {"id": "ch_1", "object": "charge", "amount": 1999,
                                       "currency": "EUR", "customer": {"id": "cus_1"},
                                       "status": "succeeded"}}}).encode()

def mac(key, msg):
    return hmac.new(key, msg, hashlib.sha256).digest()

def write(target, name, data):
    d = ROOT / target
    d.mkdir(parents=True, exist_ok=True)
    (d / f"seed-{name}").write_bytes(data)

sig = mac(STRIPE, f"{NOW}.".encode() + BODY).hex()
for name, header in {
    "valid": f"t={NOW},v1={sig}",
    "rotated": f"t={NOW},v1={'0'*64},v1={sig}",
    "v0-only": f"t={NOW},v0={sig}",
    "no-t": f"v1={sig}",
    "t-twice": f"t={NOW},t=1,v1={sig}",
    "spaces": f" t = {NOW} , v1 = {sig} ",
    "odd-hex": f"t={NOW},v1=abc",
    "huge-t": "t=99999999999999999999,v1=00",
    "empty": "",
    "commas": ",,,,=,=,v1=,t=",
}.items():
    write("stripe_signature", name, header.encode() + b"\n" + BODY)
write("stripe_signature", "binary", b"t=1,v1=\xff\xfe\n\x00\x01")

msg = b"msg_1"
sig = base64.b64encode(mac(STANDARD, msg + f".{NOW}.".encode() + BODY)).decode()
for name, (first, ts, s) in {
    "valid": ("msg_1", str(NOW), f"v1,{sig}"),
    "rotated": ("msg_1", str(NOW), f"v1,AAAA v1,{sig}"),
    "v1a-only": ("msg_1", str(NOW), f"v1a,{sig}"),
    "bad-ts": ("msg_1", "soon", f"v1,{sig}"),
    "no-comma": ("msg_1", str(NOW), "v1"),
    "empty": ("", "", ""),
}.items():
    write("standard_signature", name, f"{first}\n{ts}\n{s}\n".encode() + BODY)
write("standard_signature", "svix", f"svix_1\n{NOW}\nv1,{sig}\n".encode() + BODY)

gh = mac(RAW, BODY).hex()
for name, v in {"valid": f"sha256={gh}", "sha1": f"sha1={gh[:40]}", "no-prefix": gh,
                "upper": f"sha256={gh.upper()}", "empty": ""}.items():
    write("github_signature", name, v.encode() + b"\n" + BODY)

sh = base64.b64encode(mac(RAW, BODY)).decode()
for name, v in {"valid": sh, "urlsafe": sh.replace("+", "-").replace("/", "_"),
                "no-padding": sh.rstrip("="), "spaces": f"  {sh}  ", "empty": ""}.items():
    write("shopify_signature", name, v.encode() + b"\n" + BODY)

hx, b64 = mac(RAW, BODY).hex(), base64.b64encode(mac(RAW, BODY)).decode()
# Selector byte: index into the prefixes ["", "sha256=", "v1=", "=", "sha256=sha256="];
# high bit set = base64.
for name, (sel, v) in {"hex": (0, hx), "hex-prefixed": (1, f"sha256={hx}"),
                       "base64": (0x80, b64), "base64-prefixed": (0x82, f"v1={b64}"),
                       "wrong-prefix": (1, f"v1={hx}")}.items():
    write("hmac_signature", name, bytes([sel]) + v.encode() + b"\n" + BODY)

for name, (ptr, body) in {
    "stripe": ("/id", BODY),
    "nested-pointer": ("/data/object/id", BODY),
    "escaped-pointer": ("/a~1b/c~0d", b'{"a/b":{"c~d":12}}'),
    "number-id": ("/id", b'{"id":123456789012345678901234567890,"type":7}'),
    "huge-created": ("/id", b'{"id":"x","type":"t","created":9223372036854775807}'),
    "deep": ("/id", b"[" * 200 + b"]" * 200),
    "not-json": ("/id", b"payload=%7B%7D"),
    "binary": ("/id", bytes(range(256))),
    "empty": ("", b""),
}.items():
    write("payload_fields", name, ptr.encode() + b"\n" + body)
