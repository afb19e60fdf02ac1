#!/usr/bin/python3
"""Independent check of the platform's Avro single-object encoding with python3-avro.

Usage: decode_single_object.py SCHEMA.avsc MESSAGE.bin [SCHEMA.avsc MESSAGE.bin ...]
Prints one JSON line per message: the schema's canonical form, the CRC-64-AVRO fingerprint
computed here, the fingerprint found in the message, and the decoded datum (bytes as "hex:..",
timestamps as epoch milliseconds). Exits non-zero on any decoding problem.
"""
import datetime
import io
import json
import sys

import avro.io
import avro.schema

EMPTY = 0xC15D213AA4D7A795


def crc64_avro(data: bytes) -> int:
    table = []
    for i in range(256):
        fp = i
        for _ in range(8):
            fp = (fp >> 1) ^ (EMPTY & -(fp & 1))
        table.append(fp)
    fp = EMPTY
    for b in data:
        fp = (fp >> 8) ^ table[(fp ^ b) & 0xFF]
    return fp


PRIMITIVES = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}
ORDER = ["name", "type", "fields", "symbols", "items", "values", "size"]


def canonical_form(schema, namespace=None):
    """Parsing Canonical Form written from the specification's rules (PRIMITIVES, FULLNAMES,
    STRIP, ORDER, STRINGS, WHITESPACE). python3-avro's own canonical_form is not used: version
    1.11 keeps {"type": "long"} for logical types, which the PRIMITIVES rule turns into "long"."""
    if isinstance(schema, str):
        if schema in PRIMITIVES or "." in schema or namespace is None:
            return json.dumps(schema)
        return json.dumps(f"{namespace}.{schema}")
    if isinstance(schema, list):
        return "[" + ",".join(canonical_form(s, namespace) for s in schema) + "]"
    kind = schema["type"]
    if kind in PRIMITIVES:
        return json.dumps(kind)
    if isinstance(kind, (dict, list)):
        return canonical_form(kind, namespace)
    parts = []
    if "name" in schema:
        name = schema["name"]
        ns = schema.get("namespace", namespace)
        if "." not in name and ns:
            name = f"{ns}.{name}"
        namespace = name.rsplit(".", 1)[0] if "." in name else namespace
        parts.append(f'"name":{json.dumps(name)}')
    parts.append(f'"type":{json.dumps(kind)}')
    if "fields" in schema:
        fields = ",".join(
            "{" + f'"name":{json.dumps(f["name"])},"type":{canonical_form(f["type"], namespace)}' + "}"
            for f in schema["fields"])
        parts.append(f'"fields":[{fields}]')
    if "symbols" in schema:
        parts.append(f'"symbols":{json.dumps(schema["symbols"], separators=(",", ":"))}')
    if "items" in schema:
        parts.append(f'"items":{canonical_form(schema["items"], namespace)}')
    if "values" in schema:
        parts.append(f'"values":{canonical_form(schema["values"], namespace)}')
    if "size" in schema:
        parts.append(f'"size":{int(schema["size"])}')
    return "{" + ",".join(parts) + "}"


def plain(value):
    if isinstance(value, bytes):
        return "hex:" + value.hex()
    if isinstance(value, datetime.datetime):
        return round(value.timestamp() * 1000)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def main(args):
    for schema_path, message_path in zip(args[0::2], args[1::2]):
        text = open(schema_path, encoding="utf-8").read()
        schema = avro.schema.parse(text)
        message = open(message_path, "rb").read()
        if message[:2] != b"\xc3\x01":
            raise SystemExit(f"{message_path}: no single-object marker")
        canonical = canonical_form(json.loads(text))
        body = io.BytesIO(message[10:])
        datum = avro.io.DatumReader(schema).read(avro.io.BinaryDecoder(body))
        if body.tell() != len(message) - 10:
            raise SystemExit(f"{message_path}: {len(message) - 10 - body.tell()} bytes left after the body")
        print(json.dumps({
            "canonical": canonical,
            "fingerprint": f"{crc64_avro(canonical.encode('utf-8')):016X}",
            "messageFingerprint": f"{int.from_bytes(message[2:10], 'little'):016X}",
            "datum": plain(datum),
        }))


if __name__ == "__main__":
    main(sys.argv[1:])
