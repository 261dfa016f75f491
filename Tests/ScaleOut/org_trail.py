#!/usr/bin/env python3
"""An organisation trail for the scale-out test: two accounts, two regions, two days, with the
files a real bucket holds besides clean ones (each carried whole by the Spark job, and read by
session-ledger as it reads the original):

- a gzip cut short in the middle (an upload that died);
- a file with one broken record (a missing brace);
- a file of pretty-printed records (line breaks between tokens), one not gzipped, one with no
  records (`{"Records":[]}`; Spark lists no zero-byte file, so none is made);
- the same event delivered twice, in two files (CloudTrail's at-least-once delivery);
- records the prefilter rejects (no eventSource) and skipped records with odd times;
- a digest per account and region that lists the logs, one of them with a wrong hash.

    python3 org_trail.py OUT      # writes OUT/AWSLogs/o-exampleorg1/…
"""
import gzip
import hashlib
import json
import os
import random
import sys

ORG = "o-exampleorg1"
ACCOUNTS = ["222233334444", "555566667777"]
REGIONS = ["eu-west-1", "us-east-1"]
DAYS = ["2025/11/17", "2025/11/18"]
rng = random.Random(22)


def event(i, day, source, name, extra=None, time=None):
    hh, mm = divmod(i * 7 % 1440, 60)
    e = {
        "eventVersion": "1.09",
        "userIdentity": {"type": "AssumedRole", "principalId": "AROAEXAMPLE:u%d" % (i % 5),
                         "arn": "arn:aws:sts::%s:assumed-role/Analyst/u%d" % (ACCOUNTS[i % 2], i % 5),
                         "accountId": ACCOUNTS[i % 2]},
        "eventTime": time or "%sT%02d:%02d:%02dZ" % (day.replace("/", "-"), hh, mm, i % 60),
        "eventSource": source, "eventName": name, "awsRegion": REGIONS[i % 2],
        "sourceIPAddress": "10.0.%d.%d" % (i % 250, i % 200), "userAgent": "aws-cli/2.15",
        "requestParameters": {"n": i}, "responseElements": None,
        "eventID": "%08x-0000-4000-8000-%012d" % (rng.getrandbits(32), i),
        "readOnly": True, "eventType": "AwsApiCall", "recipientAccountId": ACCOUNTS[i % 2],
    }
    e.update(extra or {})
    return e


NOISE = [("s3.amazonaws.com", "GetObject"), ("ec2.amazonaws.com", "DescribeInstances"),
         ("kms.amazonaws.com", "Decrypt"), ("sts.amazonaws.com", "GetCallerIdentity")]


def records(n, day, start):
    out = []
    for k in range(n):
        i = start + k
        if k % 9 == 4:
            out.append(event(i, day, "sts.amazonaws.com", "AssumeRole",
                             {"requestParameters": {"roleArn": "arn:aws:iam::%s:role/Analyst" % ACCOUNTS[(i + 1) % 2],
                                                    "roleSessionName": "u%d" % (i % 5)}}))
        elif k % 9 == 7:
            out.append(event(i, day, "s3.amazonaws.com", "GetObject",
                             {"userIdentity": {"type": "AssumedRole", "principalId": "AROAEXAMPLE:u1",
                                               "accountId": ACCOUNTS[i % 2],
                                               "onBehalfOf": {"userId": "9067-u%d" % (i % 5),
                                                              "identityStoreArn": "arn:aws:identitystore::%s:identitystore/d-9067" % ACCOUNTS[0]}}}))
        elif k % 23 == 11:
            out.append(event(i, day, "signin.amazonaws.com", "ConsoleLogin",
                             {"userIdentity": {"type": "IAMUser", "userName": "u%d" % (i % 5),
                                               "accountId": ACCOUNTS[i % 2]},
                              "responseElements": {"ConsoleLogin": "Success"}}))
        else:
            out.append(event(i, day, *NOISE[i % len(NOISE)]))
    return out


def main(out):
    digests = {}
    counter = 0
    twice = None
    for account in ACCOUNTS:
        for region in REGIONS:
            for day in DAYS:
                folder = os.path.join(out, "AWSLogs", ORG, account, "CloudTrail", region, day)
                os.makedirs(folder, exist_ok=True)
                for hour in (3, 9, 15):
                    stamp = "%sT%02d05Z" % (day.replace("/", ""), hour)
                    name = "%s_CloudTrail_%s_%s_%s.json.gz" % (account, region, stamp, "".join(
                        rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(16)))
                    recs = records(40, day, counter)
                    counter += 40
                    if twice is None:
                        twice = recs[4]
                    elif hour == 9 and day == DAYS[0]:
                        recs.append(twice)  # delivered again in a later file
                    text = json.dumps({"Records": recs}, separators=(",", ":"))
                    data = text.encode()
                    path = os.path.join(folder, name)
                    with open(path, "wb") as f:
                        f.write(gzip.compress(data, mtime=0))
                    digests.setdefault((account, region), []).append((path, data))
    # The odd ones, in the first account's first region and day.
    folder = os.path.join(out, "AWSLogs", ORG, ACCOUNTS[0], "CloudTrail", REGIONS[0], DAYS[0])
    base = "%s_CloudTrail_%s_20251117T" % (ACCOUNTS[0], REGIONS[0])
    odd = records(12, DAYS[0], 5000)
    odd[1] = {k: v for k, v in odd[1].items() if k != "eventSource"}  # the prefilter rejects it
    odd[2]["eventTime"] = "2025-11-17T23:59:59.987654Z"  # skipped, and the file's last event
    odd[3]["eventTime"] = "2025-11-17 00:00:01Z"  # skipped, no readable time
    odd[5]["eventTime"] = "2025-11-16T23:00:00.5Z"  # skipped, the file's first event
    with open(os.path.join(folder, base + "1805Z_oddTimesAndRejects.json.gz"), "wb") as f:
        f.write(gzip.compress(json.dumps({"Records": odd}, separators=(",", ":")).encode(), mtime=0))
    cut = gzip.compress(json.dumps({"Records": records(30, DAYS[0], 6000)}).encode(), mtime=0)
    with open(os.path.join(folder, base + "1905Z_cutInTheMiddle00.json.gz"), "wb") as f:
        f.write(cut[: len(cut) // 2])
    broken = json.dumps({"Records": records(10, DAYS[0], 7000)}, separators=(",", ":"))
    at = broken.index('{"eventVersion"', 2000)
    broken = broken[:at] + broken[at + 1:]  # one record loses its opening brace
    with open(os.path.join(folder, base + "2005Z_oneBrokenRecord0.json.gz"), "wb") as f:
        f.write(gzip.compress(broken.encode(), mtime=0))
    with open(os.path.join(folder, base + "2105Z_prettyPrinted000.json.gz"), "wb") as f:
        f.write(gzip.compress(json.dumps({"Records": records(6, DAYS[0], 8000)}, indent=2).encode(), mtime=0))
    with open(os.path.join(folder, base + "2205Z_notGzipped00000.json"), "w") as f:
        f.write(json.dumps({"Records": records(5, DAYS[0], 9000)}, separators=(",", ":")))
    with open(os.path.join(folder, base + "2305Z_noRecords000000.json.gz"), "wb") as f:
        f.write(gzip.compress(b'{"Records":[]}', mtime=0))
    # One digest per account and region, listing its clean files; one hash is wrong.
    for (account, region), files in sorted(digests.items()):
        listed = []
        for k, (path, data) in enumerate(files):
            digest = hashlib.sha256(data).hexdigest()
            if account == ACCOUNTS[1] and region == REGIONS[1] and k == 2:
                digest = "0" * 64
            listed.append({"s3Bucket": "org-trail", "s3Object": path[len(out) + 1:], "hashValue": digest,
                           "hashAlgorithm": "SHA-256", "newestEventTime": "2025-11-18T23:00:00Z",
                           "oldestEventTime": "2025-11-17T00:00:00Z"})
        folder = os.path.join(out, "AWSLogs", ORG, account, "CloudTrail-Digest", region, DAYS[1])
        os.makedirs(folder, exist_ok=True)
        key = "AWSLogs/%s/%s/CloudTrail-Digest/%s/%s/%s_CloudTrail-Digest_%s_org-trail_%s_20251119T000000Z.json.gz" % (
            ORG, account, region, DAYS[1], account, region, region)
        document = {"awsAccountId": account, "digestStartTime": "2025-11-17T00:00:00Z",
                    "digestEndTime": "2025-11-19T00:00:00Z", "digestS3Bucket": "org-trail", "digestS3Object": key,
                    "digestPublicKeyFingerprint": "9f8e7d6c5b4a39281706f5e4d3c2b1a0",
                    "digestSignatureAlgorithm": "SHA256withRSA", "newestEventTime": "2025-11-18T23:00:00Z",
                    "oldestEventTime": "2025-11-17T00:00:00Z", "previousDigestS3Bucket": None,
                    "previousDigestS3Object": None, "previousDigestHashValue": None,
                    "previousDigestHashAlgorithm": None, "previousDigestSignature": None, "logFiles": listed}
        with open(os.path.join(out, key), "wb") as f:
            f.write(gzip.compress(json.dumps(document).encode(), mtime=0))


if __name__ == "__main__":
    main(sys.argv[1])
