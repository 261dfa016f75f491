#!/usr/bin/env python3
"""The organisation trail filtered on Spark exactly as session-ledger filters it.

    spark-submit cloudtrail_extract.py --relevance relevance.json INPUT... --output EXTRACT

INPUT is any path Spark reads (s3:// on EMR, a local folder in tests) holding a trail's
AWSLogs/[o-org/]<account>/CloudTrail/<region>/YYYY/MM/DD/*.json.gz files; CloudTrail-Digest
files are left out (sync them directly: they are small). Spark lists no empty (zero-byte) file,
so such a file, which CloudTrail never writes, is in no extract. EXTRACT is written as gzipped JSON
Lines, partitioned account=/region=/day= by each source file's place in the layout, one part
file per partition. Each source file is a block of lines, in the byte order of its path:

    {"session_ledger_extract":1,"path":…,"size":…,"modified_ms":…,"sha256":…,
     "content_sha256":…,"compression":…,"records_read":…,"records_kept":…,
     "skipped_first_ms":…,"skipped_last_ms":…,"whole":false,"relevance":…}   its manifest line
    {"record":17,"event":{…}}    each record kept, its original text byte for byte

The records kept are those session-ledger's own prefilter would not skip: decided on the raw
text exactly as CloudTrailFormat decides (see `keeps`). A file the prefilter would read in any
other way than as a clean CloudTrail document (cut or corrupt gzip, invalid UTF-8, a broken or
oversized record, another shape) is carried whole instead, as base64 `{"chunk":…}` lines after
its manifest line ("whole":true), so that session-ledger reads it exactly as it reads the
original file. `session-ledger ingest EXTRACT` then builds the same ledger as from the trail.

    python3 cloudtrail_extract.py keeps RECORDS.jsonl     # prints 1 (kept) or 0 per line

decides on records one a line, without Spark (the test that holds this file to the Swift
prefilter).
"""
import base64
import hashlib
import json
import os
import re
import sys
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
DEFINITION = os.path.join(HERE, "..", "Sources", "LedgerFormats", "CloudTrail", "relevance.json")
WHITESPACE = " \n\r\t"
# CloudTrailFormat.maxRecordBytes and JSONSyntax.maxDepth: past them the prefilter rejects a
# record, so a file holding one is carried whole.
MAX_RECORD_BYTES = 4 << 20
MAX_DEPTH = 512
# Bytes of a file carried whole per base64 line (64 KiB of text, far under the reader's 1 MiB).
CHUNK_BYTES = 48 * 1024
LAYOUT = re.compile(
    r"/AWSLogs/(?:o-[^/]+/)?(\d{12})/CloudTrail[^/]*/([^/]+)/(\d{4})/(\d{2})/(\d{2})/[^/]+$")


def value(record, key):
    """The raw text of the string value of the first `"key":` in record, escapes untouched, as
    CloudTrailFormat.valueRange(ofQuoted:in:) reads it; None when there is none or it is no
    string."""
    needle = '"' + key + '"'
    i = 0
    while True:
        at = record.find(needle, i)
        if at < 0:
            return None
        j = at + len(needle)
        while j < len(record) and record[j] in WHITESPACE:
            j += 1
        if j >= len(record) or record[j] != ":":
            i = at + 1
            continue
        j += 1
        while j < len(record) and record[j] in WHITESPACE:
            j += 1
        if j >= len(record) or record[j] != '"':
            return None
        start = k = j + 1
        while k < len(record) and record[k] != '"':
            if record[k] == "\\":
                k += 1
            k += 1
        return record[start:k] if k < len(record) else None


class Relevance:
    """relevance.json, the one definition the Swift prefilter compiles in."""

    def __init__(self, file_bytes):
        definition = json.loads(file_bytes.decode("utf-8"))
        self.sources = {s: set(names) for s, names in definition["sources"].items()}
        self.keys = ['"' + k + '"' for k in definition["keep_if_present"]]
        # The file's SHA-256, named in every manifest line: session-ledger refuses an extract
        # chosen by another definition than the one it was built with.
        self.digest = hashlib.sha256(file_bytes).hexdigest()

    @classmethod
    def load(cls, path=DEFINITION):
        with open(path, "rb") as f:
            return cls(f.read())

    def decide(self, record):
        """(kept, read): kept when the prefilter keeps the record or would reject it (no
        eventSource or eventName string: it says so itself); read is False then."""
        source, name = value(record, "eventSource"), value(record, "eventName")
        if source is None or name is None:
            return True, False
        names = self.sources.get(source)
        if names is not None and ("*" in names or name in names):
            return True, True
        return any(k in record for k in self.keys), True

    def keeps(self, record):
        kept, read = self.decide(record)
        return kept and read


def epoch_seconds(y, mo, d, h, mi, s):
    """UTCTime.epochSeconds: days from civil, with month and day as given (Feb 31 is Mar 3)."""
    y = y - 1 if mo <= 2 else y
    era = int((y if y >= 0 else y - 399) / 400)
    yoe = y - era * 400
    mp = (mo + 9) % 12
    doy = (153 * mp + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return (era * 146097 + doe - 719468) * 86400 + h * 3600 + mi * 60 + s


def millis(raw):
    """CloudTrailFormat.millis(raw:) of a string value's raw text: `YYYY-MM-DDTHH:MM:SS[.fff…]Z`
    in UTC milliseconds, or None."""
    b = raw.encode("utf-8", "surrogatepass")
    if len(b) < 2 or b[-1] != 0x5A or b[-2] >= 0x80:
        return None
    b = b[:-1]
    if len(b) < 19 or b[4] != 0x2D or b[7] != 0x2D or b[10] != 0x54 or b[13] != 0x3A or b[16] != 0x3A:
        return None

    def digits(at, n):
        v = 0
        for c in b[at:at + n]:
            if not 0x30 <= c <= 0x39:
                return None
            v = v * 10 + c - 0x30
        return v

    y, mo, d, h, mi, s = digits(0, 4), digits(5, 2), digits(8, 2), digits(11, 2), digits(14, 2), digits(17, 2)
    if None in (y, mo, d, h, mi, s) or not (1 <= mo <= 12 and 1 <= d <= 31 and h <= 23 and mi <= 59 and s <= 60):
        return None
    ms = 0
    if len(b) >= 23 and b[19] == 0x2E:
        f = digits(20, 3)
        ms = f if f is not None else 0
    return epoch_seconds(y, mo, d, h, mi, s) * 1000 + ms


class Irregular(Exception):
    """The file is not one clean `{"Records":[…]}` document: it is carried whole."""


def _reject_constant(name):
    raise Irregular("NaN or Infinity")


def _deeper_than(text, limit):
    depth = 0
    in_string = escaped = False
    for c in text:
        if in_string:
            if escaped:
                escaped = False
            elif c == "\\":
                escaped = True
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif c in "{[":
            depth += 1
            if depth > limit:
                return True
        elif c in "}]":
            depth -= 1
    return False


def _skip(text, i):
    while i < len(text) and text[i] in WHITESPACE:
        i += 1
    return i


def records(text):
    """The raw text of each record of a `{"Records":[…]}` document, in order; Irregular when the
    document is anything else, or holds a record the prefilter would not read as it is."""
    # As CloudTrail writes it: the prefilter recognises any other start by other rules.
    if not text.startswith('{"Records":['):
        raise Irregular("not a Records document")
    i = _skip(text, len('{"Records":['))
    decoder = json.JSONDecoder(parse_constant=_reject_constant)  # made here: a scanner is not pickled
    out = []
    if text.startswith("]", i):
        i += 1
    else:
        while True:
            try:
                obj, end = decoder.raw_decode(text, i)
            except (ValueError, RecursionError) as e:
                raise Irregular(str(e))
            raw = text[i:end]
            if not isinstance(obj, dict) or "\n" in raw or "\r" in raw:
                raise Irregular("a record that is not one object on one line")
            if len(raw) * 4 > MAX_RECORD_BYTES and len(raw.encode("utf-8")) > MAX_RECORD_BYTES:
                raise Irregular("a record over the prefilter's limit")
            if raw.count("{") + raw.count("[") > MAX_DEPTH and _deeper_than(raw, MAX_DEPTH):
                raise Irregular("a record nested deeper than the prefilter reads")
            out.append(raw)
            i = _skip(text, end)
            if text.startswith(",", i):
                i = _skip(text, i + 1)
            elif text.startswith("]", i):
                i += 1
                break
            else:
                raise Irregular("records not separated by ','")
    i = _skip(text, i)
    if not text.startswith("}", i) or _skip(text, i + 1) != len(text):
        raise Irregular("something after the Records array")
    return out


def partition(path):
    """(account, region, day) from the CloudTrail layout of path; 'none' for each when it is not."""
    m = LAYOUT.search(path)
    if not m:
        return "none", "none", "none"
    return m.group(1), m.group(2), "%s-%s-%s" % (m.group(3), m.group(4), m.group(5))


def extract(path, modified_ms, content, relevance):
    """The lines of one source file's block: (seq, line), seq 0 its manifest line."""
    content = bytes(content)
    head = {
        "session_ledger_extract": 1, "path": path, "size": len(content), "modified_ms": modified_ms,
        "sha256": hashlib.sha256(content).hexdigest(),
    }
    try:
        if content[:2] == b"\x1f\x8b":
            inflater = zlib.decompressobj(wbits=31)
            data = inflater.decompress(content)
            if not inflater.eof or inflater.unused_data:
                raise Irregular("not one whole gzip member")
            compression = "gzip"
        else:
            data, compression = content, "none"
        found = records(data.decode("utf-8"))
    except (Irregular, zlib.error, UnicodeDecodeError):
        head.update({"whole": True, "relevance": relevance.digest})
        yield 0, json.dumps(head, separators=(",", ":"))
        for n, at in enumerate(range(0, len(content), CHUNK_BYTES), start=1):
            chunk = base64.b64encode(content[at:at + CHUNK_BYTES]).decode("ascii")
            yield n, '{"chunk":"%s"}' % chunk
        return
    kept = []
    first = last = None
    for index, raw in enumerate(found, start=1):
        keep, _ = relevance.decide(raw)
        if keep:
            kept.append((index, raw))
            continue
        time = value(raw, "eventTime")
        t = millis(time) if time is not None else None
        if t is not None:
            first = t if first is None else min(first, t)
            last = t if last is None else max(last, t)
    head.update({
        "content_sha256": hashlib.sha256(data).hexdigest(), "compression": compression,
        "records_read": len(found), "records_kept": len(kept), "skipped_first_ms": first,
        "skipped_last_ms": last, "whole": False, "relevance": relevance.digest,
    })
    yield 0, json.dumps(head, separators=(",", ":"))
    for index, raw in kept:
        yield index, '{"record":%d,"event":%s}' % (index, raw)


def main(argv):
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("inputs", nargs="+", help="trail folders (s3://…, hdfs://…, local)")
    parser.add_argument("--output", required=True, help="the extract's folder")
    parser.add_argument("--relevance", default=DEFINITION, help="relevance.json (any path Spark reads)")
    parser.add_argument("--master", help="Spark master, for a run outside spark-submit (local[2])")
    args = parser.parse_args(argv)

    from pyspark.sql import SparkSession, functions as F, types as T

    builder = SparkSession.builder.appName("session-ledger cloudtrail extract")
    if args.master:
        builder = builder.master(args.master)
    spark = (builder
             .config("spark.sql.sources.partitionOverwriteMode", "dynamic")
             .config("spark.hadoop.mapreduce.fileoutputcommitter.marksuccessfuljobs", "false")
             .getOrCreate())
    relevance = Relevance(bytes(spark.sparkContext.binaryFiles(args.relevance).collect()[0][1]))
    started = time.perf_counter()
    # Counted as the blocks are made (a retried task counts twice: for the log line, not for
    # the extract, whose manifest lines are the record).
    counts = {k: spark.sparkContext.accumulator(0) for k in ("files", "whole", "read", "kept")}

    files = (spark.read.format("binaryFile").option("recursiveFileLookup", "true").load(args.inputs)
             .where(~F.col("path").contains("/CloudTrail-Digest/"))
             .select("path", F.expr("unix_millis(modificationTime)").alias("modified"), "content"))

    def blocks(rows):
        for row in rows:
            account, region, day = partition(row.path)
            for seq, line in extract(row.path, row.modified, row.content, relevance):
                if seq == 0:
                    head = json.loads(line)
                    counts["files"].add(1)
                    counts["whole"].add(1 if head["whole"] else 0)
                    counts["read"].add(head.get("records_read") or 0)
                    counts["kept"].add(head.get("records_kept") or 0)
                yield account, region, day, row.path, seq, line

    schema = T.StructType([
        T.StructField("account", T.StringType()), T.StructField("region", T.StringType()),
        T.StructField("day", T.StringType()), T.StructField("source", T.StringType()),
        T.StructField("seq", T.LongType()), T.StructField("value", T.StringType()),
    ])
    lines = spark.createDataFrame(files.rdd.mapPartitions(blocks), schema)
    # One task per partition, its lines sorted by source path and place: each part file is a
    # sequence of whole blocks in path order, read by session-ledger one block at a time.
    (lines.repartition("account", "region", "day")
     .sortWithinPartitions("account", "region", "day", "source", "seq")
     .select("account", "region", "day", "value")
     .write.mode("overwrite").partitionBy("account", "region", "day")
     # A cluster-wide spark.sql.files.maxRecordsPerFile would cut a block across two files.
     .option("maxRecordsPerFile", 0).option("compression", "gzip").text(args.output))
    c = {k: v.value for k, v in counts.items()}
    print("extract: %d file(s), %d carried whole; %d record(s) read, %d kept; %.2f s"
          % (c["files"], c["whole"], c["read"], c["kept"], time.perf_counter() - started))
    spark.stop()


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "keeps":
        relevance = Relevance.load()
        with open(sys.argv[2], encoding="utf-8", errors="surrogateescape") as f:
            for line in f:
                print(1 if relevance.keeps(line.rstrip("\n")) else 0)
    else:
        main(sys.argv[1:])
