#!/usr/bin/env python3
"""Writes a benchmark corpus for session-ledger (Python stdlib only, deterministic).

  cloudtrail/AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/*.json.gz
      an organisation trail: many services and identities, about 4 % of the records
      relevant to sessions (STS AssumeRole, Identity Center, EMR, SageMaker); one compact
      {"Records":[...]} document per file, as CloudTrail delivers them.
  emr/<cluster>/node/<instance>/applications/livy/livy-livy-server.out
  emr/<cluster>/node/<instance>/applications/hadoop-yarn/yarn-yarn-resourcemanager-*.log
      plain text logs: Livy session lifecycles among the usual INFO noise, and
      ResourceManager lines of one Spark application after another, as a Hadoop 3 RM writes them
      at INFO (about 60 per application: state changes, scheduler and audit lines, then the
      ApplicationSummary).
  many/<cluster>/node/<instance>/applications/hadoop-yarn/rm-NNNNN.log
      many small files, for the no-change nightly re-run.

  emr/j-1BENCHMARKnnnn/…  with --clusters K: K clusters of those logs (a year of a platform:
      15 clusters are 10.7 GiB of text and 600,000 Livy sessions).

usage: corpus.py OUT [--cloudtrail-files N] [--records-per-file R] [--log-lines L] [--many-files M] [--clusters K]
"""
import argparse, datetime as dt_module, gzip, json, os, random

p = argparse.ArgumentParser()
p.add_argument("out")
p.add_argument("--cloudtrail-files", type=int, default=600)
p.add_argument("--records-per-file", type=int, default=500)
p.add_argument("--log-lines", type=int, default=2_000_000)
p.add_argument("--many-files", type=int, default=10_000)
p.add_argument("--clusters", type=int, default=1, help="clusters of Livy and RM logs (15 make 10.7 GiB and 600,000 sessions)")
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
        t = dt_module.datetime.fromtimestamp(1763942400 + i, dt_module.timezone.utc).strftime("%y/%m/%d %H:%M:%S")  # one line a second from 2025-11-24
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
RM = "org.apache.hadoop.yarn.server.resourcemanager"


def application_lines(n, user, ms):
    """The ResourceManager's lines for one Spark application from submit to finish, as a
    Hadoop 3 RM writes them at INFO: state changes of the app, its attempt and each container,
    scheduler lines, the audit lines, and the ApplicationSummary at the end (about 60 lines)."""
    app = f"application_1763971200000_{n:04d}"
    attempt = f"appattempt_1763971200000_{n:04d}_000001"
    out = []

    def line(dt, logger, message):
        t = ms + dt
        stamp = dt_module.datetime.fromtimestamp(t // 1000, dt_module.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
        out.append(f"{stamp},{t % 1000:03d} INFO {RM}.{logger}: {message}\n")

    line(0, "ClientRMService", f"Allocated new applicationId: {n}")
    line(40, "ClientRMService", f"Application with id {n} submitted by user {user}")
    line(40, "RMAuditLogger", f"USER={user}\tIP=10.0.0.5\tOPERATION=Submit Application Request\tTARGET=ClientRMService\tRESULT=SUCCESS\tAPPID={app}\tQUEUENAME=default")
    line(41, "rmapp.RMAppImpl", f"Storing application with id {app}")
    for dt, (a, b, e) in enumerate([("NEW", "NEW_SAVING", "START"), ("NEW_SAVING", "SUBMITTED", "APP_NEW_SAVED"), ("SUBMITTED", "ACCEPTED", "APP_ACCEPTED")]):
        line(42 + dt, "rmapp.RMAppImpl", f"{app} State change from {a} to {b} on event = {e}")
    line(43, "scheduler.capacity.ParentQueue", f"Application added - appId: {app} user: {user} leaf-queue of parent: root #applications: 3")
    line(43, "scheduler.capacity.CapacityScheduler", f"Accepted application {app} from user: {user}, in queue: default")
    line(45, "ApplicationMasterService", f"Registering app attempt : {attempt}")
    line(45, "scheduler.capacity.LeafQueue", f"Application {app} from user: {user} activated in queue: default")
    line(46, "scheduler.capacity.CapacityScheduler", f"Added Application Attempt {attempt} to scheduler from user {user} in queue default")
    for dt, (a, b) in enumerate([("NEW", "SUBMITTED"), ("SUBMITTED", "SCHEDULED")]):
        line(46 + dt, "rmapp.attempt.RMAppAttemptImpl", f"{attempt} State change from {a} to {b} on event = ATTEMPT_ADDED")
    containers = [f"container_1763971200000_{n:04d}_01_{c:06d}" for c in range(1, 6)]
    for c, container in enumerate(containers):
        base = 60 + c * 900
        line(base, "rmcontainer.RMContainerImpl", f"{container} Container Transitioned from NEW to ALLOCATED")
        line(base, "RMAuditLogger", f"USER={user}\tOPERATION=AM Allocated Container\tTARGET=SchedulerApp\tRESULT=SUCCESS\tAPPID={app}\tCONTAINERID={container}\tRESOURCE=<memory:4096, vCores:1>\tQUEUENAME=default")
        line(base + 1, "scheduler.SchedulerNode", f"Assigned container {container} of capacity <memory:4096, vCores:1> on host ip-10-0-1-{c + 5}.ec2.internal:8041, which has {c + 1} containers, <memory:{4096 * (c + 1)}, vCores:{c + 1}> used and <memory:{24576 - 4096 * (c + 1)}, vCores:{8 - c - 1}> available after allocation")
        line(base + 2, "scheduler.capacity.CapacityScheduler", f"Allocation proposal accepted")
        line(base + 300, "rmcontainer.RMContainerImpl", f"{container} Container Transitioned from ALLOCATED to ACQUIRED")
        line(base + 800, "rmcontainer.RMContainerImpl", f"{container} Container Transitioned from ACQUIRED to RUNNING")
        if c == 0:
            for dt, (a, b) in enumerate([("SCHEDULED", "ALLOCATED_SAVING"), ("ALLOCATED_SAVING", "ALLOCATED"), ("ALLOCATED", "LAUNCHED")]):
                line(base + 301 + dt, "rmapp.attempt.RMAppAttemptImpl", f"{attempt} State change from {a} to {b}")
            line(base + 302, "amlauncher.AMLauncher", f"Launching master{attempt}")
            line(base + 310, "amlauncher.AMLauncher", f"Done launching container Container: [ContainerId: {container}, AllocationRequestId: -1, Version: 0, NodeId: ip-10-0-1-5.ec2.internal:8041] for AM {attempt}")
    line(6000, "RMAuditLogger", f"USER={user}\tIP=10.0.1.5\tOPERATION=Register App Master\tTARGET=ApplicationMasterService\tRESULT=SUCCESS\tAPPID={app}\tAPPATTEMPTID={attempt}")
    line(6001, "rmapp.attempt.RMAppAttemptImpl", f"{attempt} State change from LAUNCHED to RUNNING on event = REGISTERED")
    line(6001, "rmapp.RMAppImpl", f"{app} State change from ACCEPTED to RUNNING on event = ATTEMPT_REGISTERED")
    end = 60_000
    for c, container in enumerate(reversed(containers)):
        line(end + c * 10, "rmcontainer.RMContainerImpl", f"{container} Container Transitioned from RUNNING to COMPLETED")
        line(end + c * 10, "RMAuditLogger", f"USER={user}\tOPERATION=AM Released Container\tTARGET=SchedulerApp\tRESULT=SUCCESS\tAPPID={app}\tCONTAINERID={container}\tRESOURCE=<memory:4096, vCores:1>\tQUEUENAME=default")
        line(end + c * 10 + 1, "scheduler.SchedulerNode", f"Released container {container} of capacity <memory:4096, vCores:1> on host ip-10-0-1-{c + 5}.ec2.internal:8041, which currently has {4 - c} containers, <memory:{4096 * (4 - c)}, vCores:{4 - c}> used and <memory:{24576 - 4096 * (4 - c)}, vCores:{4 + c}> available, release resources=true")
    line(end + 100, "rmapp.attempt.RMAppAttemptImpl", f"Updating application attempt {attempt} with final state: FINISHING, and exit status: -1000")
    for dt, (a, b) in enumerate([("RUNNING", "FINAL_SAVING"), ("FINAL_SAVING", "FINISHING"), ("FINISHING", "FINISHED")]):
        line(end + 100 + dt, "rmapp.attempt.RMAppAttemptImpl", f"{attempt} State change from {a} to {b}")
    line(end + 101, "rmapp.RMAppImpl", f"Updating application {app} with final state: FINISHED")
    for dt, (a, b) in enumerate([("RUNNING", "FINAL_SAVING"), ("FINAL_SAVING", "FINISHED")]):
        line(end + 102 + dt, "rmapp.RMAppImpl", f"{app} State change from {a} to {b} on event = ATTEMPT_FINISHED")
    line(end + 104, "ApplicationMasterService", f"Unregistering app attempt : {attempt}")
    line(end + 104, "RMAuditLogger", f"USER={user}\tOPERATION=Application Finished - Succeeded\tTARGET=RMAppManager\tRESULT=SUCCESS\tAPPID={app}")
    line(end + 105, "RMAppManager$ApplicationSummary", f"appId={app},name=livy-session-{n},user={user},queue=default,state=FINISHED,trackingUrl=http://ip-10-0-0-10:20888/proxy/{app}/,appMasterHost=ip-10-0-1-5,submitTime={ms},startTime={ms + 40},launchTime={ms + 362},finishTime={ms + end + 103},finalStatus=SUCCEEDED,memorySeconds={4096 * 5 * 60},vcoreSeconds={5 * 60},preemptedMemorySeconds=0,preemptedVcoreSeconds=0,preemptedAMContainers=0,preemptedNonAMContainers=0,preemptedResources=<memory:0\\, vCores:0>,applicationType=SPARK,resourceSeconds={4096 * 5 * 60} MB-seconds\\, {5 * 60} vcore-seconds,preemptedResourceSeconds=0 MB-seconds\\, 0 vcore-seconds,applicationTags=livy-session-{n}-abcdefgh,applicationNodeLabel=,diagnostics=,totalAllocatedContainers=5")
    line(end + 106, "scheduler.capacity.CapacityScheduler", f"Application Attempt {attempt} is done. finalState=FINISHED")
    line(end + 106, "scheduler.capacity.LeafQueue", f"Application removed - appId: {app} user: {user} queue: default #user-pending-applications: 0 #user-active-applications: 2 #queue-pending-applications: 0 #queue-active-applications: 2")
    return out


with open(emr + "/hadoop-yarn/yarn-yarn-resourcemanager-ip-10-0-0-10.log", "w") as out:
    # One Spark application a minute; each one's lines interleave with its neighbours' in time,
    # as on a real RM, but are written per application here (the parser does not need order).
    written, app = 0, 0
    while written < a.log_lines:
        lines = application_lines(app, rng.choice(USERS), 1763971200000 + app * 60_000)[: a.log_lines - written]
        out.writelines(lines)
        written += len(lines)
        app += 1

for m in range(a.many_files):
    d = os.path.join(a.out, f"many/j-2MANYFILES{m // 1000:04d}/node/i-0c0c0c0c0c0c0c0c2/applications/hadoop-yarn")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"rm-{m:05d}.log"), "w") as out:
        out.write(f"2025-11-24 08:00:00,000 INFO org.apache.hadoop.yarn.server.resourcemanager.RMAppManager$ApplicationSummary: appId=application_1763971200001_{m:06d},name=x,user=u,queue=default,state=FINISHED,submitTime=1763971200000,startTime=1763971201000,finishTime=1763971260000,finalStatus=SUCCEEDED,memorySeconds=1,vcoreSeconds=1\n")

# A year of a platform: more clusters, each with its own Livy and ResourceManager logs. Their
# text is the first cluster's with the cluster's own application ids (the RM start time in
# every id differs per cluster), so no two files are the same bytes.
for k in range(1, a.clusters):
    source = os.path.join(a.out, "emr/j-1BENCHMARK0001")
    target = os.path.join(a.out, f"emr/j-1BENCHMARK{k + 1:04d}")
    for directory, _, files in os.walk(source):
        for name in files:
            original = os.path.join(directory, name)
            copy = original.replace(source, target, 1)
            os.makedirs(os.path.dirname(copy), exist_ok=True)
            with open(original, "rb") as f_in, open(copy, "wb") as f_out:
                for chunk in iter(lambda: f_in.read(64 << 20), b""):
                    chunk += f_in.readline()  # whole lines, so no id is cut in two
                    f_out.write(chunk.replace(b"_1763971200000_", f"_17639712{k:05d}_".encode()))

print(f"{a.cloudtrail_files} CloudTrail files ({n} records), {a.clusters} cluster(s) of {a.log_lines} Livy and {a.log_lines} ResourceManager lines, {a.many_files} small files in {a.out}")
