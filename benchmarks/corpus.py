#!/usr/bin/env python3
"""Writes a benchmark corpus for session-ledger (Python stdlib only, deterministic).

  cloudtrail/AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/*.json.gz
      an organisation trail: many services and identities, about 4 % of the records
      relevant to sessions (STS AssumeRole, Identity Center, EMR, SageMaker); one compact
      {"Records":[...]} document per file, as CloudTrail delivers them.
  emr/<cluster>/node/<instance>/applications/livy/livy-livy-server.out
  emr/<cluster>/node/<instance>/applications/hadoop-yarn/yarn-yarn-resourcemanager-*.log
      plain text logs: Livy session lifecycles among the usual INFO noise, and
      ResourceManager ApplicationSummary lines among scheduler noise.
  many/<cluster>/node/<instance>/applications/hadoop-yarn/rm-NNNNN.log
      many small files, for the no-change nightly re-run.

usage: corpus.py OUT [--cloudtrail-files N] [--records-per-file R] [--log-lines L] [--many-files M]
"""
import argparse, gzip, json, os, random

p = argparse.ArgumentParser()
p.add_argument("out")
p.add_argument("--cloudtrail-files", type=int, default=600)
p.add_argument("--records-per-file", type=int, default=500)
p.add_argument("--log-lines", type=int, default=2_000_000)
p.add_argument("--many-files", type=int, default=10_000)
a = p.parse_args()
rng = random.Random(7)

ACCOUNTS = ["111122223333", "444455556666", "777788889999"]
REGIONS = ["us-east-1", "eu-west-1"]
NOISE = [  # (eventSource, eventName, readOnly)
    ("s3.amazonaws.com", "GetObject", True), ("s3.amazonaws.com", "PutObject", False),
    ("ec2.amazonaws.com", "DescribeInstances", True), ("ec2.amazonaws.com", "RunInstances", False),
    ("kms.amazonaws.com", "Decrypt", True), ("kms.amazonaws.com", "GenerateDataKey", True),
    ("logs.amazonaws.com", "PutLogEvents", False), ("lambda.amazonaws.com", "Invoke", False),
    ("dynamodb.amazonaws.com", "GetItem", True), ("iam.amazonaws.com", "GetRole", True),
    ("glue.amazonaws.com", "GetTable", True), ("elasticmapreduce.amazonaws.com", "ListClusters", True),
    ("sts.amazonaws.com", "GetCallerIdentity", True), ("cloudwatch.amazonaws.com", "GetMetricData", True),
]
RELEVANT = [
    ("sts.amazonaws.com", "AssumeRole"), ("sso.amazonaws.com", "Federate"),
    ("signin.amazonaws.com", "UserAuthentication"), ("elasticmapreduce.amazonaws.com", "RunJobFlow"),
    ("sagemaker.amazonaws.com", "CreateTrainingJob"),
]
USERS = [f"user{i:03d}" for i in range(200)]


def identity(account):
    kind = rng.random()
    if kind < 0.6:
        role = rng.choice(["DataEngineer", "Analyst", "EMR_EC2_DefaultRole", "lambda-exec", "Admin"])
        session = rng.choice(USERS)
        return {"type": "AssumedRole", "principalId": f"AROAEXAMPLE{rng.randrange(10**6):06d}:{session}",
                "arn": f"arn:aws:sts::{account}:assumed-role/{role}/{session}", "accountId": account,
                "accessKeyId": f"ASIA{rng.randrange(10**12):012d}",
                "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": "AROAEXAMPLE",
                                                     "arn": f"arn:aws:iam::{account}:role/{role}",
                                                     "accountId": account, "userName": role},
                                   "attributes": {"creationDate": "2025-11-24T08:00:00Z", "mfaAuthenticated": "false"}}}
    if kind < 0.85:
        return {"type": "AWSService", "invokedBy": rng.choice(["ec2.amazonaws.com", "lambda.amazonaws.com"])}
    user = rng.choice(USERS)
    return {"type": "IAMUser", "principalId": f"AIDA{rng.randrange(10**8):08d}", "arn": f"arn:aws:iam::{account}:user/{user}",
            "accountId": account, "userName": user}


def record(account, region, t, relevant):
    if relevant:
        source, name = rng.choice(RELEVANT)
        read_only = False
    else:
        source, name, read_only = rng.choice(NOISE)
    r = {"eventVersion": "1.09", "userIdentity": identity(account),
         "eventTime": t, "eventSource": source, "eventName": name, "awsRegion": region,
         "sourceIPAddress": f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}",
         "userAgent": "aws-sdk-java/1.12.500 Linux/5.10 OpenJDK_64-Bit_Server_VM/17",
         "requestParameters": {"bucketName": f"data-{rng.randrange(50)}", "key": f"path/{rng.randrange(10**6)}.parquet"},
         "responseElements": None, "requestID": f"{rng.getrandbits(64):016X}",
         "eventID": f"{rng.getrandbits(128):032x}", "readOnly": read_only, "eventType": "AwsApiCall",
         "managementEvent": True, "recipientAccountId": account, "eventCategory": "Management"}
    if source == "sts.amazonaws.com" and name == "AssumeRole":
        r["requestParameters"] = {"roleArn": f"arn:aws:iam::{account}:role/DataEngineer",
                                  "roleSessionName": rng.choice(USERS), "durationSeconds": 3600}
    return r


n = 0
for f in range(a.cloudtrail_files):
    account, region = ACCOUNTS[f % 3], REGIONS[(f // 3) % 2]
    minute = f * 5
    day = 24 + minute // 1440
    stamp = f"2025-11-{day:02d}T{(minute // 60) % 24:02d}:{minute % 60:02d}"
    records = [record(account, region, f"{stamp}:{s % 60:02d}Z", rng.random() < 0.04) for s in range(a.records_per_file)]
    n += len(records)
    d = os.path.join(a.out, "cloudtrail/AWSLogs", account, "CloudTrail", region, "2025/11", f"{day:02d}")
    os.makedirs(d, exist_ok=True)
    name = f"{account}_CloudTrail_{region}_{stamp.replace('-', '').replace(':', '')}Z_{rng.getrandbits(64):016x}.json.gz"
    with gzip.open(os.path.join(d, name), "wb", compresslevel=6) as out:
        out.write(json.dumps({"Records": records}, separators=(",", ":")).encode())

emr = os.path.join(a.out, "emr/j-1BENCHMARK0001/node/i-0b0b0b0b0b0b0b0b1/applications")
os.makedirs(emr + "/livy", exist_ok=True)
os.makedirs(emr + "/hadoop-yarn", exist_ok=True)
with open(emr + "/livy/livy-livy-server.out", "w") as out:
    sid, i = 0, 0
    while i < a.log_lines:
        t = f"25/11/24 {(i // 3600) % 24:02d}:{(i // 60) % 60:02d}:{i % 60:02d}"
        if i % 50 == 0:
            out.write(f"{t} INFO InteractiveSession$: Creating Interactive session {sid}: [owner: knox, request: [kind: pyspark, proxyUser: Some({rng.choice(USERS)}), conf: spark.executor.instances -> 2, heartbeatTimeoutInSecond: 0]]\n")
        elif i % 50 == 10:
            out.write(f"{t} INFO InteractiveSession: Interactive session {sid} created [appid: application_1763971200000_{sid:04d}, owner: knox, proxyUser: None, state: idle, kind: pyspark, info: {{driverLogUrl=null, sparkUiUrl=null}}]\n")
        elif i % 50 == 40:
            out.write(f"{t} INFO InteractiveSessionManager: Deleting session {sid}\n")
        elif i % 50 == 41:
            out.write(f"{t} INFO InteractiveSessionManager: Deleted session {sid}\n")
            sid += 1
        else:
            out.write(f"{t} INFO LineBufferedStream: 25/11/24 08:00:00 INFO Client: Application report for application_1763971200000_{sid:04d} (state: RUNNING)\n")
        i += 1
with open(emr + "/hadoop-yarn/yarn-yarn-resourcemanager-ip-10-0-0-10.log", "w") as out:
    for i in range(a.log_lines):
        ms = 1763971200000 + i * 1000
        if i % 10 == 0:
            out.write(f"2025-11-24 08:00:00,000 INFO org.apache.hadoop.yarn.server.resourcemanager.RMAppManager$ApplicationSummary: appId=application_1763971200000_{i // 10:06d},name=livy-session-{i // 10},user={rng.choice(USERS)},queue=default,state=FINISHED,trackingUrl=http://ip-10-0-0-10:20888/proxy/application_1763971200000_{i // 10:06d}/,appMasterHost=ip-10-0-0-11,submitTime={ms},startTime={ms + 1000},finishTime={ms + 60000},finalStatus=SUCCEEDED,memorySeconds=123456,vcoreSeconds=60,preemptedMemorySeconds=0,preemptedVcoreSeconds=0,preemptedAMContainers=0,preemptedNonAMContainers=0,preemptedResources=<memory:0\\, vCores:0>,applicationType=SPARK\n")
        else:
            out.write(f"2025-11-24 08:00:00,000 INFO org.apache.hadoop.yarn.server.resourcemanager.scheduler.capacity.CapacityScheduler: Allocation proposal accepted for container_{i}\n")

for m in range(a.many_files):
    d = os.path.join(a.out, f"many/j-2MANYFILES{m // 1000:04d}/node/i-0c0c0c0c0c0c0c0c2/applications/hadoop-yarn")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"rm-{m:05d}.log"), "w") as out:
        out.write(f"2025-11-24 08:00:00,000 INFO org.apache.hadoop.yarn.server.resourcemanager.RMAppManager$ApplicationSummary: appId=application_1763971200001_{m:06d},name=x,user=u,queue=default,state=FINISHED,submitTime=1763971200000,startTime=1763971201000,finishTime=1763971260000,finalStatus=SUCCEEDED,memorySeconds=1,vcoreSeconds=1\n")

print(f"{a.cloudtrail_files} CloudTrail files ({n} records), {a.log_lines} Livy and {a.log_lines} ResourceManager lines, {a.many_files} small files in {a.out}")
