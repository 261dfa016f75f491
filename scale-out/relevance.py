#!/usr/bin/env python3
"""Which CloudTrail records session-ledger keeps, read from the one definition
(Sources/LedgerFormats/CloudTrail/relevance.json, which the Swift prefilter compiles in).

    python3 scale-out/relevance.py RECORDS.jsonl    # prints 1 (kept) or 0 per line

The decision is made on a record's raw JSON text, exactly as the Swift prefilter makes it, so
that both keep the same records byte for byte: the first `"eventSource"` key followed by a colon
and a string gives the source, the first `"eventName"` the name (their raw text, escapes
untouched); a record is kept when the source is listed with that name (or with "*"), or when
its text holds any key of keep_if_present (`"onBehalfOf"` anywhere in it). A record without both
strings is not kept.
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFINITION = os.path.join(HERE, "..", "Sources", "LedgerFormats", "CloudTrail", "relevance.json")
WHITESPACE = b" \n\r\t"


def value(record, key):
    """The raw bytes of the string value of the first `"key":` in record, as CloudTrailFormat's
    valueRange(ofQuoted:in:) reads them; None when there is none."""
    needle = b'"' + key + b'"'
    i = 0
    while True:
        at = record.find(needle, i)
        if at < 0:
            return None
        j = at + len(needle)
        while j < len(record) and record[j] in WHITESPACE:
            j += 1
        if j >= len(record) or record[j] != ord(":"):
            i = at + 1
            continue
        j += 1
        while j < len(record) and record[j] in WHITESPACE:
            j += 1
        if j >= len(record) or record[j] != ord('"'):
            return None
        start = k = j + 1
        while k < len(record) and record[k] != ord('"'):
            if record[k] == ord("\\"):
                k += 1
            k += 1
        return record[start:k] if k < len(record) else None


class Relevance:
    def __init__(self, path=DEFINITION):
        with open(path, encoding="utf-8") as f:
            d = json.load(f)
        self.sources = {s.encode(): {n.encode() for n in names} for s, names in d["sources"].items()}
        self.keys = [b'"' + k.encode() + b'"' for k in d["keep_if_present"]]

    def keeps(self, record):
        source, name = value(record, b"eventSource"), value(record, b"eventName")
        if source is None or name is None:
            return False
        names = self.sources.get(source)
        if names is not None and (b"*" in names or name in names):
            return True
        return any(k in record for k in self.keys)


if __name__ == "__main__":
    relevance = Relevance()
    with open(sys.argv[1], "rb") as f:
        for line in f:
            print(1 if relevance.keeps(line.rstrip(b"\n")) else 0)
