#!/usr/bin/env python3
"""Writes samples/: a week of Livy, YARN and CloudTrail logs on two EMR clusters and a Glue
development endpoint, in the real directory layouts, and the answers the pipeline must find.

    python3 samples/generate.py [--out samples] [--seed 7]

The scenario is a model (who opened which session when, what they ran, when they signed in
and out, which policy was in force); the logs are rendered from it in the formats of
../shared/reference/formats.md, and samples/expected/sessions.json is computed from the same
model with SPEC §4's definitions, written here again on purpose: this file shares no code with
the Swift pipeline, so the end-to-end test compares two independent derivations.

Standard library only. Output is byte-stable: gzip members carry no name and mtime 0, and
every random choice comes from the seeded generator.
"""

import argparse
import collections
import datetime as dt
import gzip
import hashlib
import io
import json
import os
import random
import shutil

UTC = dt.timezone.utc
ACCOUNT = "111122223333"
STUDIO_ACCOUNT = "444455556666"
REGION = "us-east-1"
IDENTITY_STORE = f"arn:aws:identitystore::{ACCOUNT}:identitystore/d-9067e1a2b3"
APP_ARN = f"arn:aws:sso::{ACCOUNT}:application/ssoins-72238f4c3a9d1e07/apl-5a1f2e3d4c5b6a70"
RATE_VCPU_HOUR = 0.048
RATE_GB_HOUR = 0.003
ABANDON_AFTER = 3600
INTERACTIVE_DURATION = 8 * 3600
GRACE = 900

USERS = [
    # user id, user name, e-mail, cost centre
    ("906712ab-1c2d-4e5f-8a9b-0c1d2e3f4a01", "alice", "alice@example.com", "CC-ANALYTICS"),
    ("906712ab-1c2d-4e5f-8a9b-0c1d2e3f4a02", "bob", "bob@example.com", "CC-ANALYTICS"),
    ("906712ab-1c2d-4e5f-8a9b-0c1d2e3f4a03", "carol", "carol@example.com", "CC-FINANCE"),
    ("906712ab-1c2d-4e5f-8a9b-0c1d2e3f4a04", "dan", "dan@example.com", "CC-FINANCE"),
    ("906712ab-1c2d-4e5f-8a9b-0c1d2e3f4a05", "erin", "erin@example.com", "CC-RISK"),
    ("906712ab-1c2d-4e5f-8a9b-0c1d2e3f4a06", "frank", "frank@example.com", "CC-RISK"),
]
USER_ID = {u[1]: u[0] for u in USERS}

CLUSTERS = {
    # EMR 7.11, whose Livy is 0.8 (every EMR 7.x ships 0.8.0-incubating), a security
    # configuration that allows user background sessions.
    "j-1ANALYTICSW47": dict(release="emr-7.11.0", livy="0.8", security="tip-background",
                           instance="i-0a1b2c3d4e5f60718", host="ip-10-0-1-17.ec2.internal",
                           cluster_ts=1763337600000, tz="UTC"),
    # EMR 6.15, Livy 0.7: too old for background sessions.
    "j-2REPORTINGB83": dict(release="emr-6.15.0", livy="0.7", security="tip-interactive",
                           instance="i-0f9e8d7c6b5a40312", host="ip-10-0-2-9.ec2.internal",
                           cluster_ts=1763337600001, tz="UTC"),
    # A Glue development endpoint: no EMR layout, no RunJobFlow, New York time.
    "glue-dev-shared": dict(release=None, livy="0.7", security=None, instance=None,
                            host="ip-172-32-5-20.ec2.internal", cluster_ts=1763337600002,
                            tz="America/New_York"),
    # Partial data: an EMR 7.x cluster launched before the trail we were given begins (no
    # RunJobFlow: release, security configuration and roles unknown), whose ResourceManager
    # logs were not collected (no YARN summaries: costs as requested, no YARN end).
    "j-3OPSLEGACY7": dict(release=None, livy="0.8", security=None, instance="i-0c3c3c3c3c3c3c3c7",
                         host="ip-10-0-3-5.ec2.internal", cluster_ts=1763337600003, tz="UTC", rm_logs=False,
                         # Its account's EMR log bucket, synced under its own name: the account
                         # is in the layout.
                         log_root="emr-logs/aws-logs-777788889999-us-east-1/elasticmapreduce"),
}

# Each cluster's AWS account and what says so: RunJobFlow's recipient account (the trail's), the
# config for the Glue endpoint (session-ledger.toml), the log bucket's name for j-3OPSLEGACY7.
CLUSTER_ACCOUNT = {"j-1ANALYTICSW47": ACCOUNT, "j-2REPORTINGB83": ACCOUNT, "glue-dev-shared": STUDIO_ACCOUNT,
                   "j-3OPSLEGACY7": "777788889999"}

# Cross-account role sessions, as cloudtrail_events writes them: alice from the studio account
# into this account's EMRStudio-Access role, Monday 08:55, STS's default 3600 s.
CROSS_ACCOUNT = [("alice", dt.datetime(2025, 11, 17, 8, 55, tzinfo=dt.timezone.utc), 3600, STUDIO_ACCOUNT, ACCOUNT)]

# The clusters' spark-defaults as session-ledger.toml gives them (`[[clusters]] max_executors`):
# the analytics team caps every session of j-1ANALYTICSW47 at 8 executors.
CLUSTER_MAX_EXECUTORS = {"j-1ANALYTICSW47": 8}

# The roles RunJobFlow names for the clusters it launched in the trail (service, instance).
CLUSTER_ROLES = {"j-1ANALYTICSW47": {"EMR_DefaultRole", "EMR_EC2_DefaultRole"},
                 "j-2REPORTINGB83": {"EMR_DefaultRole", "EMR_EC2_DefaultRole"}}

START = dt.datetime(2025, 11, 17, tzinfo=UTC)  # Monday
END = dt.datetime(2025, 11, 24, tzinfo=UTC)    # the data ends here (as_of comes from the logs)


def t(day, hh, mm=0, ss=0):
    return START + dt.timedelta(days=day, hours=hh, minutes=mm, seconds=ss)


def iso(x):
    return x.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch_ms(x):
    return int(round(x.timestamp() * 1000))


# ---------------------------------------------------------------------------------------------
# The model


class Session:
    def __init__(self, cluster, sid, user, created, *, kind="pyspark", statements=(), end=None,
                 reason="user_deleted", cores=4, memory_gb=16, executors=2, exec_cores=2,
                 exec_memory_gb=4, no_proxy=False, ready_after=40, yarn_summary=True, batch=None,
                 max_executors=None, dynamic=None, burst=None):
        self.cluster, self.sid, self.user, self.created = cluster, sid, user, created
        # A batch session runs `batch` (its file); its app finishes on its own at `end`.
        self.batch = batch
        self.kind, self.statements, self.end, self.reason = kind, list(statements), end, reason
        self.no_proxy = no_proxy
        self.ready = None if reason == "start_failed" else created + dt.timedelta(seconds=ready_after)
        # What YARN allocates while the app runs: driver + executors.
        self.vcores = 1 + executors * exec_cores
        self.memory_mb = 2048 + executors * exec_memory_gb * 1024
        self.executors, self.exec_cores, self.exec_memory_gb = executors, exec_cores, exec_memory_gb
        self.yarn_summary = yarn_summary
        # The session's own conf (%%configure): spark.dynamicAllocation.maxExecutors / .enabled.
        self.max_executors, self.dynamic = max_executors, dynamic
        # Dynamic allocation growing the app past its first executors: (executors, from, to).
        self.burst = burst
        self.app_seq = None
        self.server_start = None


def build(seed):
    rnd = random.Random(seed)
    sessions = []
    signins = []      # (user, time)
    logouts = []      # (user, time)
    restarts = {}     # cluster -> [restart times]

    A, B, G = "j-1ANALYTICSW47", "j-2REPORTINGB83", "glue-dev-shared"

    def stmts(start, minutes):
        return [start + dt.timedelta(minutes=m) for m in minutes]

    # --- Cluster A: background allowed until Thursday 12:00 ---------------------------------
    # Monday: alice works 09:00-11:00, deletes her session.
    signins.append(("alice", t(0, 8, 50)))
    logouts.append(("alice", t(0, 17, 30)))
    sessions.append(Session(A, 0, "alice", t(0, 9), statements=stmts(t(0, 9), [5, 30, 95]),
                            end=t(0, 11, 0, 1), reason="user_deleted"))
    # Monday: alice's nightly batch job (a Livy batch session: no sign-in needed, by design).
    sessions.append(Session(A, 0, "alice", t(0, 2), batch="s3://analytics-jobs/nightly_features.py", end=t(0, 2, 25),
                            reason="app_finished", ready_after=20))
    # Monday: bob starts a batch report at 10:30 and logs off at 12:00; it runs until 13:30. A
    # batch runs on after its owner leaves by design: no background time. Livy 0.8 purges it
    # (finished) at 13:40:30 with "Deleting session 1" from the batch manager, while bob's
    # interactive session 1 still runs: that line must not end it.
    sessions.append(Session(A, 1, "bob", t(0, 10, 30), batch="s3://analytics-jobs/daily_report.py", end=t(0, 13, 30),
                            reason="app_finished", ready_after=20))
    # Monday: bob logs off at 12:00 while his session runs on until 15:10 (background).
    signins.append(("bob", t(0, 9, 55)))
    logouts.append(("bob", t(0, 12)))
    sessions.append(Session(A, 1, "bob", t(0, 10), statements=stmts(t(0, 10), [10, 90, 185]),
                            end=t(0, 15, 10, 1), reason="user_deleted"))
    # Tuesday: carol forgets her session; Livy 0.8 times it out 8 h after the last statement.
    signins.append(("carol", t(1, 8)))
    sessions.append(Session(A, 2, "carol", t(1, 8, 30), statements=stmts(t(1, 8, 30), [15, 40]),
                            end=None, reason="idle_timeout"))
    # Wednesday: a session without a proxy user (a service account notebook).
    sessions.append(Session(A, 3, None, t(2, 10), statements=stmts(t(2, 10), [5]),
                            end=t(2, 11, 0, 1), reason="user_deleted", no_proxy=True))
    # Wednesday: dan's notebook goes away (heartbeat expiry).
    signins.append(("dan", t(2, 13)))
    sessions.append(Session(A, 4, "dan", t(2, 13, 10), statements=stmts(t(2, 13, 10), [5, 20]),
                            end=t(2, 15, 0, 1), reason="heartbeat_expired"))
    # Thursday 12:00: background sessions are switched off for the application (see policy).
    # Thursday 14:00: alice signs in, logs off 15:00, her session runs until 16:30: that is now
    # background the policy forbids.
    signins.append(("alice", t(3, 13, 50)))
    logouts.append(("alice", t(3, 15)))
    sessions.append(Session(A, 5, "alice", t(3, 14), statements=stmts(t(3, 14), [10, 50]),
                            end=t(3, 16, 30, 1), reason="user_deleted"))
    # Friday: erin's session, still running (and idle) when the data ends; she logs off at 11:00.
    signins.append(("erin", t(4, 9)))
    logouts.append(("erin", t(4, 11)))
    sessions.append(Session(A, 6, "erin", t(4, 9, 15), statements=stmts(t(4, 9, 15), [20]),
                            end=None, reason="still_running", yarn_summary=False))

    # --- Cluster B: Livy 0.7, no background sessions; a server restart reuses ids ------------
    signins.append(("frank", t(0, 7, 45)))
    sessions.append(Session(B, 0, "frank", t(0, 8), kind="spark", statements=stmts(t(0, 8), [10, 50]),
                            end=None, reason="idle_timeout"))
    signins.append(("dan", t(1, 9)))
    sessions.append(Session(B, 1, "dan", t(1, 9, 30), kind="sql", statements=stmts(t(1, 9, 30), [5]),
                            end=None, reason="server_restart"))
    restarts[B] = [t(1, 12)]
    # After the restart the ids start again from 0.
    signins.append(("frank", t(1, 13)))
    sessions.append(Session(B, 0, "frank", t(1, 13, 5), kind="spark", statements=stmts(t(1, 13, 5), [10]),
                            end=None, reason="app_killed"))
    signins.append(("erin", t(2, 9)))
    sessions.append(Session(B, 1, "erin", t(2, 9, 30), statements=stmts(t(2, 9, 30), [5, 65]),
                            end=t(2, 11, 0, 1), reason="user_deleted"))
    # A service account that is no Identity Center user.
    sessions.append(Session(B, 2, "svc-etl", t(2, 14), kind="spark", statements=stmts(t(2, 14), [5]),
                            end=t(2, 14, 30, 1), reason="user_deleted"))

    # --- Glue endpoint: shared, YARN contention, sessions that fail to start -----------------
    # Tuesday 14:00 bob opens a session with no executor cap (dynamic allocation, no maximum:
    # the endpoint's default) and it takes the executors. carol (capped at 5 with %%configure)
    # and dan (no cap) cannot start behind it; erin, capped at 5, starts in 95 s (her notebook
    # calls that a failure). Wednesday alice's session takes 75 s with nobody else on the
    # endpoint: slow, but nobody held it.
    for user in ("bob", "carol", "dan"):
        signins.append((user, t(1, 13)))
    signins.append(("erin", t(1, 14, 10)))
    for sid, user, created, reason, extra in [
        (0, "bob", t(1, 14), "user_deleted", dict(burst=(8, t(1, 14, 1), t(1, 14, 30)))),
        (1, "carol", t(1, 14, 2), "start_failed", dict(max_executors=5)),
        (2, "dan", t(1, 14, 4), "start_failed", {}),
        (3, "erin", t(1, 14, 20), "user_deleted", dict(max_executors=5, ready_after=95)),
        (4, "alice", t(2, 16, 6), "user_deleted", dict(ready_after=75)),
    ]:
        sessions.append(Session(G, sid, user, created, statements=stmts(created, [5, 25]) if reason != "start_failed" else [],
                                end=created + dt.timedelta(minutes=50, seconds=1) if reason == "user_deleted" else None,
                                reason=reason, **extra))
    # alice's Glue session came without her signing in that day: asserted, not observed.

    # --- Cluster C: launched before the trail, no ResourceManager logs, Livy 0.8 -------------
    # Thursday: dan signs in 08:50 and logs off 10:30 during his session, which Livy times out
    # 8 h after his last statement. His own sign-in and logout carry his user id: they prove
    # nothing about the cluster acting as him (asserted).
    C = "j-3OPSLEGACY7"
    signins.append(("dan", t(3, 8, 50)))
    logouts.append(("dan", t(3, 10, 30)))
    sessions.append(Session(C, 0, "dan", t(3, 9), kind="pyspark", statements=stmts(t(3, 9), [10, 40]),
                            end=None, reason="idle_timeout"))
    # Thursday: carol's notebook stops Spark itself at 14:50; Livy 0.8 purges the finished
    # session 10 min 30 s later with the "inactive for more than 28.8 ms" words. No YARN summary
    # says how the app ended; the purge came long before an 8 h timeout could: app_finished.
    signins.append(("carol", t(3, 13, 50)))
    # She caps her executors (%%configure); dan, on the cluster at the same time, does not.
    sessions.append(Session(C, 1, "carol", t(3, 14), statements=stmts(t(3, 14), [10, 30]),
                            end=t(3, 14, 50), reason="app_finished", max_executors=5))

    # Background-policy change mid-week, SageMaker jobs, cross-account role: see render_cloudtrail.
    return sessions, signins, logouts, restarts


# ---------------------------------------------------------------------------------------------
# Rendering helpers


def gz(data):
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0) as g:
        g.write(data)
    return buf.getvalue()


def write(root, rel, data, compress=True):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(gz(data) if compress else data)


def local(x, tz):
    if tz == "UTC":
        return x
    # America/New_York in November 2025: EST, UTC-5 (DST ended 2025-11-02).
    return x - dt.timedelta(hours=5)


def livy_ts(x, tz):
    return local(x, tz).strftime("%y/%m/%d %H:%M:%S")


def rm_ts(x, tz):
    y = local(x, tz)
    return y.strftime("%Y-%m-%d %H:%M:%S,") + f"{y.microsecond // 1000:03d}"


def ncsa(x):
    return x.strftime("%d/%b/%Y:%H:%M:%S +0000")


# ---------------------------------------------------------------------------------------------
# Lifecycles: what each end reason writes, and when the session ended (SPEC §4)

LIVY_TIMEOUT = dt.timedelta(hours=8)


# How each Livy dialect words the idle timeout: the global 8 h timeout as 0.6/0.7 print it
# (ms), as 0.8 prints it (ms / 1e6) and as 0.9 prints it (ms / 1e9, in "secs") (formats.md §1.6).
IDLE_WORDS = {"0.7": "2.88E7 ms", "0.8": "28.8 ms", "0.9": "0.0288 secs"}


def purge_line(s, dialect, at, manager):
    """How Livy words the purge of a finished session: 0.9 says so; before, the idle words."""
    name = f"{'BatchSession' if s.batch else 'InteractiveSession'} {s.sid}"
    if dialect == "0.9":
        return (at, manager, f"Deleting {name} because it finished before 600.0 secs.")
    return (at, manager, f"Deleting {name} because it was inactive for more than {IDLE_WORDS[dialect]}.")


def lifecycle(s, cluster, restart_at):
    """Fills in s.ended (SPEC's ended_at), s.livy_lines [(time, logger, message)], s.requests
    [(time, method, path, status)], s.yarn (finish, state, killer) or None."""
    c = CLUSTERS[cluster]
    dialect = c["livy"]
    v09 = dialect == "0.9"
    # 0.7/0.8 name a session `session N` in Deleting/Deleted; the manager logging it says which kind.
    ref = f"{'BatchSession' if s.batch else 'InteractiveSession'} {s.sid}" if v09 else f"session {s.sid}"
    manager = "BatchSessionManager" if s.batch else "InteractiveSessionManager"
    lines, requests = [], [(s.created, "POST", "/batches" if s.batch else "/sessions", 201)]
    requests += [(x, "POST", f"/sessions/{s.sid}/statements", 201) for x in s.statements]
    last = max([s.created] + ([s.ready] if s.ready else []) + s.statements)
    s.last_activity = last
    s.yarn = None
    if s.reason == "user_deleted":
        d = s.end - dt.timedelta(seconds=1)
        requests.append((d, "DELETE", f"/sessions/{s.sid}", 200))
        lines += [(d, "InteractiveSessionManager", f"Deleting {ref}"), (d, "InteractiveSession", f"Stopping InteractiveSession {s.sid}..."),
                  (s.end, "InteractiveSession", f"Stopped InteractiveSession {s.sid}."), (s.end, "InteractiveSessionManager", f"Deleted {ref}")]
        s.ended = s.end
        s.yarn = (s.end + dt.timedelta(milliseconds=1500), "FINISHED", None)
    elif s.reason == "idle_timeout":
        idle = last + LIVY_TIMEOUT + dt.timedelta(seconds=25)  # the GC thread runs every 60 s
        words = IDLE_WORDS[dialect]
        lines += [(idle, "InteractiveSessionManager", f"Deleting InteractiveSession {s.sid} because it was inactive for more than {words}."),
                  (idle, "InteractiveSessionManager", f"Deleting {ref}"), (idle, "InteractiveSession", f"Stopping InteractiveSession {s.sid}..."),
                  (idle + dt.timedelta(seconds=1), "InteractiveSession", f"Stopped InteractiveSession {s.sid}."),
                  (idle + dt.timedelta(seconds=1), "InteractiveSessionManager", f"Deleted {ref}")]
        s.ended = idle + dt.timedelta(seconds=1)
        s.yarn = (idle + dt.timedelta(milliseconds=3200), "FINISHED", None)
    elif s.reason == "heartbeat_expired":
        h = s.end - dt.timedelta(seconds=1)
        lines += [(h, "InteractiveSessionManager", f"Session {s.sid} expired. Last heartbeat is at {(h - dt.timedelta(minutes=10)).strftime('%a %b %d %H:%M:%S UTC %Y')}."),
                  (h, "InteractiveSessionManager", f"Deleting {ref}"), (s.end, "InteractiveSession", f"Stopped InteractiveSession {s.sid}."),
                  (s.end, "InteractiveSessionManager", f"Deleted {ref}")]
        s.ended = s.end
        s.yarn = (s.end + dt.timedelta(seconds=2), "FINISHED", None)
    elif s.reason == "app_killed":
        k = s.created + dt.timedelta(hours=2, minutes=30)
        s.ended = k  # the YARN finish time, to the second
        s.yarn = (k + dt.timedelta(milliseconds=200), "KILLED", "hadoop")
        purge = k + dt.timedelta(minutes=10, seconds=30)  # Livy 0.7 purges the dead session with the "inactive" words
        lines += [purge_line(s, dialect, purge, manager),
                  (purge, manager, f"Deleting {ref}"), (purge + dt.timedelta(seconds=1), manager, f"Deleted {ref}")]
    elif s.reason == "app_finished":
        # The app ended on its own (a batch job done; a notebook that stopped Spark). Livy purges
        # the finished session after livy.server.session.state-retain.sec (600 s) at its next
        # 60-second GC pass.
        purge = s.end + dt.timedelta(minutes=10, seconds=30)
        lines += [purge_line(s, dialect, purge, manager),
                  (purge, manager, f"Deleting {ref}"), (purge + dt.timedelta(seconds=1), manager, f"Deleted {ref}")]
        s.yarn = (s.end + dt.timedelta(milliseconds=700), "FINISHED", None)
        # With a YARN summary its finishTime ends the session; without one, the Deleted line.
        s.ended = s.end if c.get("rm_logs", True) else purge + dt.timedelta(seconds=1)
    elif s.reason == "server_restart":
        s.ended = restart_at
        s.yarn = (restart_at + dt.timedelta(seconds=30), "KILLED", None)  # the orphaned app, killed later
    elif s.reason == "start_failed":
        f = s.created + dt.timedelta(seconds=120)
        s.ended = f
        lines += [(f, "SparkYarnApp", "Error whiling refreshing YARN state", "ERROR",
                   [f"java.lang.IllegalStateException: No YARN application is found with tag livy-session-{s.sid}-{s.tag} in 120 seconds. This may be because 1) spark-submit fail to submit application to YARN; or 2) YARN cluster doesn't have enough resources to start the application in time. Please check Livy log and YARN log to know the details.",
                    "\tat org.apache.livy.utils.SparkYarnApp.getAppIdFromTag(SparkYarnApp.scala:182)"])]
        purge = f + dt.timedelta(minutes=10, seconds=30)
        lines += [purge_line(s, dialect, purge, manager),
                  (purge, manager, f"Deleting {ref}"), (purge + dt.timedelta(seconds=1), manager, f"Deleted {ref}")]
    else:  # still_running
        s.ended = None
    if not s.yarn_summary or not c.get("rm_logs", True):
        s.yarn = None
    s.livy_lines, s.requests = lines, requests


def create_line(s, cluster):
    dialect = CLUSTERS[cluster]["livy"]
    proxy = "None" if s.no_proxy else f"Some({s.user})"
    # Scala's Map.toString of the conf: `k -> v` pairs joined by ",".
    conf = "spark.hadoop.fs.s3a.secret.key -> sample-not-a-secret"
    if s.dynamic is not None:
        conf += f",spark.dynamicAllocation.enabled -> {'true' if s.dynamic else 'false'}"
    if s.max_executors is not None:
        conf += f",spark.dynamicAllocation.maxExecutors -> {s.max_executors}"
    if s.batch:
        # CreateBatchRequest.toString (0.7–0.9): set keys, each with ", ", conf last with "]".
        return (f"Creating batch session {s.sid}: [owner: null, request: [proxyUser: {proxy}, file: {s.batch}, "
                f"driverMemory: 2g, driverCores: 1, executorMemory: {s.exec_memory_gb}g, executorCores: {s.exec_cores}, "
                f"numExecutors: {s.executors}, conf: {conf}]]")
    # 0.7 ends "heartbeatTimeoutInSecond: 0]"; 0.8 and 0.9 append ", " and the optional ttl.
    tail = "heartbeatTimeoutInSecond: 0]" if dialect == "0.7" else "heartbeatTimeoutInSecond: 0, ]"
    return (f"Creating Interactive session {s.sid}: [owner: null, request: [kind: {s.kind}, proxyUser: {proxy}, "
            f"driverMemory: 2g, driverCores: 1, executorMemory: {s.exec_memory_gb}g, executorCores: {s.exec_cores}, "
            f"numExecutors: {s.executors}, conf: {conf}, {tail}]")


def ready_line(s, cluster):
    c = CLUSTERS[cluster]
    proxy = "None" if s.no_proxy else f"Some({s.user})"
    app = f"application_{c['cluster_ts']}_{s.app_seq:04d}"
    info = "{driverLogUrl=null, sparkUiUrl=null, executorLogUrls=null}" if c["livy"] == "0.9" else "{driverLogUrl=null, sparkUiUrl=null}"
    if s.batch:
        return f"Batch session {s.sid} created [appid: {app}, state: running, info: {info}]"
    return f"Interactive session {s.sid} created [appid: {app}, owner: null, proxyUser: {proxy}, state: idle, kind: {s.kind}, info: {info}]"


def render_livy(root, cluster, sessions, restarts, base):
    c = CLUSTERS[cluster]
    tz = c["tz"]
    runs = [START - dt.timedelta(hours=1)] + restarts.get(cluster, [])
    files = []
    for n, run_start in enumerate(runs):
        # A run starts with the session managers' recovery lines, then the web server (formats.md §1.3).
        events = [(run_start, "BatchSessionManager", "Recovered 0 batch sessions. Next session id: 0"),
                  (run_start, "InteractiveSessionManager", "Recovered 0 interactive sessions. Next session id: 0"),
                  (run_start + dt.timedelta(seconds=2), "WebServer", f"Starting server on http://{c['host']}:8998")]
        run_end = runs[n + 1] if n + 1 < len(runs) else END
        for s in sessions:
            if not (run_start <= s.created < run_end):
                continue
            s.server_start = run_start + dt.timedelta(seconds=2)
            kind = "BatchSession" if s.batch else "InteractiveSession"
            events.append((s.created, kind + "$", create_line(s, cluster)))
            if s.ready:
                events.append((s.ready, kind, ready_line(s, cluster)))
            for e in s.livy_lines:
                if e[0] < run_end:
                    events.append(e)
        events.sort(key=lambda e: e[0])
        out = []
        for e in events:
            level = e[3] if len(e) > 3 else "INFO"
            out.append(f"{livy_ts(e[0], tz)} {level} {e[1]}: {e[2]}")
            if len(e) > 4:
                out += e[4]
        files.append("\n".join(out) + "\n")
    # Rotation at server start: the newest run is .out, the one before .out.1.
    for i, text in enumerate(reversed(files)):
        write(root, f"{base}/livy-livy-server.out" + (f".{i}" if i else "") + ".gz", text.encode())


def render_requests(root, sessions, base):
    by_day = {}
    for s in sessions:
        for (x, method, path, status) in s.requests:
            ip = f"10.0.3.{10 + (USER_ID.get(s.user, 'x')[-1:] == '1') + len(s.user or '')}"
            by_day.setdefault(x.date(), []).append((x, f'{ip} - - [{ncsa(x)}] "{method} {path} HTTP/1.1" {status} {57 if method == "POST" else 17}'))
            # Notebooks poll for results, and batch clients for the state: GETs the tool must count and skip.
            poll = f"/batches/{s.sid}" if s.batch else f"/sessions/{s.sid}/statements"
            by_day[x.date()].append((x + dt.timedelta(seconds=2), f'{ip} - - [{ncsa(x + dt.timedelta(seconds=2))}] "GET {poll} HTTP/1.1" 200 300'))
    for day, entries in sorted(by_day.items()):
        entries.sort(key=lambda e: e[0])
        write(root, f"{base}/{day.strftime('%Y_%m_%d')}.request.log.gz", ("\n".join(e[1] for e in entries) + "\n").encode())


def render_yarn(root, cluster, sessions, base):
    c = CLUSTERS[cluster]
    tz = c["tz"]
    thread = " (ResourceManager Event Processor)" if c["instance"] else ""
    audit_thread = " (IPC Server handler 7 on default port 8032)" if c["instance"] else ""
    S = "org.apache.hadoop.yarn.server.resourcemanager"
    lines = [(START - dt.timedelta(hours=1, minutes=5), f"INFO {S}.ResourceManager{thread}: STARTUP_MSG: ")]
    for s in sessions:
        if s.app_seq is None:
            continue
        app = f"application_{c['cluster_ts']}_{s.app_seq:04d}"
        submit = s.created + dt.timedelta(seconds=3)
        lines.append((submit, f"INFO {S}.RMAuditLogger{audit_thread}: USER=livy\tIP=10.0.1.17\tOPERATION=Submit Application Request\tTARGET=ClientRMService\tRESULT=SUCCESS\tAPPID={app}\tQUEUENAME=default"))
        # The scheduler's container audit lines (formats.md §2.4): the AM container, the first
        # executors, a burst of more while dynamic allocation grows the app, and every one
        # released when the app finishes (an app still running keeps them).
        user = s.user or "livy"
        def container(at, op, n, vcores, memory_mb):
            cid = f"container_{c['cluster_ts']}_{s.app_seq:04d}_01_{n:06d}"
            lines.append((at, f"INFO {S}.RMAuditLogger{thread}: USER={user}\tOPERATION=AM {op} Container"
                              f"\tTARGET=SchedulerApp\tRESULT=SUCCESS\tAPPID={app}\tCONTAINERID={cid}"
                              f"\tRESOURCE=<memory:{memory_mb}, vCores:{vcores}>\tQUEUENAME=default"))
        held = [(1, 1, 2048)] + [(2 + k, s.exec_cores, s.exec_memory_gb * 1024) for k in range(s.executors)]
        for k, (n, vcores, memory_mb) in enumerate(held):
            container(submit + dt.timedelta(seconds=1 + 2 * k), "Allocated", n, vcores, memory_mb)
        s.peak_containers, s.peak_vcores = len(held), sum(v for _, v, _ in held)
        if s.burst:
            count, grown, shrunk = s.burst
            extra = [(len(held) + 1 + k, s.exec_cores, s.exec_memory_gb * 1024) for k in range(count)]
            for k, (n, vcores, memory_mb) in enumerate(extra):
                container(grown + dt.timedelta(seconds=k), "Allocated", n, vcores, memory_mb)
                container(shrunk + dt.timedelta(seconds=k), "Released", n, vcores, memory_mb)
            s.peak_containers += count
            s.peak_vcores += sum(v for _, v, _ in extra)
        if s.yarn is not None:
            for n, vcores, memory_mb in held:
                container(s.yarn[0] - dt.timedelta(milliseconds=300), "Released", n, vcores, memory_mb)
        if s.yarn is None:
            continue
        finish, state, killer = s.yarn
        if killer:
            lines.append((finish - dt.timedelta(milliseconds=200), f"INFO {S}.RMAuditLogger{audit_thread}: USER={killer}\tIP=10.0.1.17\tOPERATION=Kill Application Request\tTARGET=ClientRMService\tRESULT=SUCCESS\tAPPID={app}"))
        start = submit + dt.timedelta(milliseconds=100)
        seconds = (finish - start).total_seconds()
        s.vcore_seconds = int(round(s.vcores * seconds))
        s.memory_seconds = int(round(s.memory_mb * seconds))
        final = {"FINISHED": "SUCCEEDED", "KILLED": "KILLED"}[state]
        diag = f"Application {app} was killed by user {killer} at 10.0.1.17" if killer else ""
        name = os.path.basename(s.batch) if s.batch else f"livy-session-{s.sid}"
        tag = f"livy-batch-{s.sid}-{s.tag}" if s.batch else f"livy-session-{s.sid}-{s.tag}"
        summary = (f"appId={app},name={name},user={s.user or 'livy'},queue=default,state={state},"
                   f"trackingUrl=http://{c['host']}:20888/proxy/{app}/,appMasterHost={c['host']},submitTime={epoch_ms(submit)},"
                   f"startTime={epoch_ms(start)},launchTime={epoch_ms(start) + 2000},finishTime={epoch_ms(finish)},finalStatus={final},"
                   f"memorySeconds={s.memory_seconds},vcoreSeconds={s.vcore_seconds},preemptedMemorySeconds=0,preemptedVcoreSeconds=0,"
                   f"preemptedAMContainers=0,preemptedNonAMContainers=0,preemptedResources=<memory:0\\, vCores:0>,applicationType=SPARK,"
                   f"resourceSeconds={s.memory_seconds} MB-seconds\\, {s.vcore_seconds} vcore-seconds,preemptedResourceSeconds=0 MB-seconds\\, 0 vcore-seconds,"
                   f"applicationTags={tag},applicationNodeLabel=,diagnostics={diag},totalAllocatedContainers={1 + s.executors}")
        lines.append((finish + dt.timedelta(milliseconds=600), f"INFO {S}.RMAppManager$ApplicationSummary{thread}: {summary}"))
    lines.append((END - dt.timedelta(minutes=1), f"INFO {S}.scheduler.capacity.CapacityScheduler{thread}: Release container container_{c['cluster_ts']}_0001_01_000001"))
    lines.sort(key=lambda e: e[0])
    write(root, f"{base}/yarn-yarn-resourcemanager-{c['host']}.log.gz", ("\n".join(f"{rm_ts(x, tz)} {m}" for x, m in lines) + "\n").encode())


def cli_row(fields):
    """A row as `yarn application -list` prints it: `%30s\t%20s\t%20s\t%10s\t%10s\t%18s\t%18s\t%15s\t%35s`."""
    return "\t".join(v.rjust(w) for w, v in zip([30, 20, 20, 10, 10, 18, 18, 15, 35], fields))


# When someone ran `date; yarn application -list` and saved it: on the shared Glue endpoint while
# carol's and dan's sessions waited for resources behind bob's (Tuesday 14:05 UTC; the endpoint's
# `date` prints New York time, EST), and on j-2REPORTINGB83 just after its Livy server restarted
# (Tuesday 12:00:15): dan's app was still running though Livy had forgotten his session; YARN
# killed it at 12:00:30.
LISTINGS = [("glue-dev-shared", 1, 14, 5, 0), ("j-2REPORTINGB83", 1, 12, 0, 15)]


def render_listings(root, sessions):
    """Writes each saved listing; returns every row as the pipeline must read it, orphans marked."""
    rows = []
    for cid, day, hh, mm, ss in LISTINGS:
        c = CLUSTERS[cid]
        at = t(day, hh, mm, ss)
        when = local(at, c["tz"])
        zone = "UTC" if c["tz"] == "UTC" else "EST"
        base = f"{c.get('log_root', 'emr-logs')}/{cid}/node/{c['instance']}/applications" if c["instance"] else f"glue/{cid}"
        rel = f"{base}/hadoop-yarn/yarn-apps.txt.gz"  # gzipped into the log archive, as the logs beside it
        running = []
        for s in sorted(sessions, key=lambda s: s.app_seq or 0):
            if s.cluster != cid or s.app_seq is None:
                continue
            submit = s.created + dt.timedelta(seconds=3)
            finish = s.yarn[0] if s.yarn else (s.ended or END)
            if submit <= at < finish:
                running.append(s)
        lines = [when.strftime(f"%a %b %d %H:%M:%S {zone} %Y"),
                 f"{when.strftime('%y/%m/%d %H:%M:%S')} INFO client.RMProxy: Connecting to ResourceManager at {c['host']}/10.0.0.1:8032",
                 f"Total number of applications (application-types: [], states: [SUBMITTED, ACCEPTED, RUNNING] and tags: []):{len(running)}",
                 cli_row(["Application-Id", "Application-Name", "Application-Type", "User", "Queue", "State", "Final-State",
                          "Progress", "Tracking-URL"])]
        for s in running:
            app = f"application_{c['cluster_ts']}_{s.app_seq:04d}"
            lines.append(cli_row([app, f"livy-session-{s.sid}", "SPARK", s.user or "livy", "default", "RUNNING", "UNDEFINED",
                                  "10%", f"http://{c['host']}:20888/proxy/{app}/"]))
            key = f"{s.cluster}/{iso(s.server_start)}/{s.sid}"
            orphan = None
            if s.ended is not None and s.ended < at:
                # What the app cost since the session ended, at the session's own rate (its cost
                # over its duration, as SPEC §4 apportions idle and background cost).
                after = int((at - s.ended).total_seconds())
                duration = int((s.ended - s.created).total_seconds())
                cost = session_cost(s, duration)[1]
                orphan = {"session_key": key, "ended_at": iso(s.ended), "end_reason": s.reason, "after_s": after,
                          "cost_so_far_usd": None if cost is None else round(cost / duration * after, 4)}
            rows.append({"cluster_id": cid, "listed_at": iso(at), "app_id": app, "user": s.user or "livy",
                         "evidence": f"{rel}:{len(lines)}", "orphan": orphan})
        write(root, rel, ("\n".join(lines) + "\n").encode())
    return rows


# ---------------------------------------------------------------------------------------------
# CloudTrail


ADMIN = {"type": "AssumedRole", "principalId": "AROA5EXAMPLEADMIN:ops", "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/PlatformAdmin/ops",
         "accountId": ACCOUNT, "sessionContext": {"sessionIssuer": {"type": "Role", "arn": f"arn:aws:iam::{ACCOUNT}:role/PlatformAdmin"}}}


def idc_user(user):
    return {"type": "IdentityCenterUser", "accountId": ACCOUNT,
            "onBehalfOf": {"userId": USER_ID[user], "identityStoreArn": IDENTITY_STORE}, "credentialId": f"cred-{user}"}


def role_on_behalf_of(role, user):
    return {"type": "AssumedRole", "principalId": f"AROA5EXAMPLE{role.upper()[:6]}:i-1", "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/i-1",
            "accountId": ACCOUNT, "sessionContext": {"sessionIssuer": {"type": "Role", "arn": f"arn:aws:iam::{ACCOUNT}:role/{role}"}},
            "onBehalfOf": {"userId": USER_ID[user], "identityStoreArn": IDENTITY_STORE}}


def event(rnd, when, source, name, identity, request=None, response=None, **extra):
    e = {"eventVersion": "1.11", "userIdentity": identity, "eventTime": iso(when), "eventSource": source, "eventName": name,
         "awsRegion": REGION, "sourceIPAddress": "10.0.9.9", "userAgent": "aws-sdk-java/2.29", "requestParameters": request,
         "responseElements": response, "requestID": "%08x-0000-4000-8000-%012x" % (rnd.getrandbits(32), rnd.getrandbits(48)),
         "eventID": "%08x-%04x-4%03x-8%03x-%012x" % (rnd.getrandbits(32), rnd.getrandbits(16), rnd.getrandbits(12), rnd.getrandbits(12), rnd.getrandbits(48)),
         "readOnly": False, "eventType": "AwsApiCall", "managementEvent": True, "recipientAccountId": ACCOUNT, "eventCategory": "Management"}
    e.update(extra)
    return e


def cloudtrail_events(rnd, sessions, signins, logouts):
    ev = []
    sec = lambda flag_key, flag: json.dumps({"AuthenticationConfiguration": {"IdentityCenterConfiguration": {
        "EnableIdentityCenter": True, "IdentityCenterInstanceARN": "arn:aws:sso:::instance/ssoins-72238f4c3a9d1e07", flag_key: flag}}})
    ev.append(event(rnd, t(0, 0, 10), "elasticmapreduce.amazonaws.com", "CreateSecurityConfiguration", ADMIN,
                    {"name": "tip-background", "securityConfiguration": sec("EnableUserBackgroundSession", True)}, {"name": "tip-background"}))
    ev.append(event(rnd, t(0, 0, 11), "elasticmapreduce.amazonaws.com", "CreateSecurityConfiguration", ADMIN,
                    {"name": "tip-interactive", "securityConfiguration": sec("userBackgroundSessionsEnabled", False)}, {"name": "tip-interactive"}))
    ev.append(event(rnd, t(0, 0, 12), "sso.amazonaws.com", "PutApplicationSessionConfiguration", ADMIN,
                    {"applicationArn": APP_ARN, "userBackgroundSessionApplicationStatus": "ENABLED"}))
    for cid, minute in (("j-1ANALYTICSW47", 20), ("j-2REPORTINGB83", 21)):
        c = CLUSTERS[cid]
        ev.append(event(rnd, t(0, 0, minute), "elasticmapreduce.amazonaws.com", "RunJobFlow", ADMIN,
                        {"name": cid, "releaseLabel": c["release"], "securityConfiguration": c["security"],
                         "serviceRole": "EMR_DefaultRole", "jobFlowRole": "EMR_EC2_DefaultRole", "visibleToAllUsers": True},
                        {"jobFlowId": cid, "clusterArn": f"arn:aws:elasticmapreduce:{REGION}:{ACCOUNT}:cluster/{cid}"}))
    # Thursday noon: background sessions switched off for the application.
    ev.append(event(rnd, t(3, 12), "sso.amazonaws.com", "PutApplicationSessionConfiguration", ADMIN,
                    {"applicationArn": APP_ARN, "userBackgroundSessionApplicationStatus": "DISABLED"}))
    for user, when in signins:
        ev.append(event(rnd, when, "signin.amazonaws.com", "UserAuthentication", idc_user(user),
                        additionalEventData={"AuthWorkflowID": "wf-1", "UserName": user, "CredentialType": "PASSWORD",
                                             "LoginTo": "https://d-9067e1a2b3.awsapps.com/start/"},
                        serviceEventDetails={"UserAuthentication": "Success"}, eventType="AwsServiceEvent"))
    for user, when in logouts:
        ev.append(event(rnd, when, "sso.amazonaws.com", "Logout", idc_user(user), eventType="AwsServiceEvent"))
    # Work the cluster's instance role did on each user's behalf (trusted identity propagation).
    for s in sessions:
        if s.cluster == "j-1ANALYTICSW47" and s.user and not s.no_proxy:
            when = s.created + dt.timedelta(minutes=20)
            ev.append(event(rnd, when, "s3.amazonaws.com", "GetObject", role_on_behalf_of("EMR_EC2_DefaultRole", s.user),
                            {"bucketName": "analytics-lake", "key": f"curated/{s.user}/part-0000.parquet"},
                            managementEvent=False, eventCategory="Data", readOnly=True))
    # On the cluster launched before the trail (its roles unknown): a role worked on carol's
    # behalf during her session (any role counts there, a weaker check).
    ev.append(event(rnd, t(3, 14, 20), "s3.amazonaws.com", "GetObject", role_on_behalf_of("OpsNotebookRole", "carol"),
                    {"bucketName": "ops-lake", "key": "reports/carol/part-0000.parquet"},
                    managementEvent=False, eventCategory="Data", readOnly=True))
    # A studio account assumes a role of this account (both accounts' copies of the call).
    shared = "5f1e2d3c-4b5a-4968-8776-655443322110"
    role = f"arn:aws:iam::{ACCOUNT}:role/EMRStudio-Access"
    studio = {"type": "AssumedRole", "principalId": "AROASTUDIO:alice", "arn": f"arn:aws:sts::{STUDIO_ACCOUNT}:assumed-role/StudioUser/alice",
              "accountId": STUDIO_ACCOUNT}
    _, assumed_at, _, _, _ = CROSS_ACCOUNT[0]
    ev.append(event(rnd, assumed_at, "sts.amazonaws.com", "AssumeRole", studio,
                    {"roleArn": role, "roleSessionName": "alice", "sourceIdentity": "alice@example.com"},
                    {"credentials": {"accessKeyId": "ASIASAMPLE", "sessionToken": "sample-session-token", "expiration": "Nov 17, 2025, 9:55:00 AM"},
                     "sourceIdentity": "alice@example.com"}, sharedEventID=shared))
    ev.append(event(rnd, assumed_at, "sts.amazonaws.com", "AssumeRole", {"type": "AWSAccount", "principalId": "AROASTUDIO:alice", "accountId": STUDIO_ACCOUNT},
                    {"roleArn": role, "roleSessionName": "alice", "sourceIdentity": "alice@example.com"}, sharedEventID=shared))
    # SageMaker: alice's long job while background sessions are allowed; erin's job after they
    # were switched off, which fails within 15 minutes of her 11:00 logout (SAGEMAKER_ENDS says
    # how each ended; render_sagemaker writes it as AWS does).
    ev.append(event(rnd, t(0, 16), "sagemaker.amazonaws.com", "CreateTrainingJob", role_on_behalf_of("SageMakerStudioExecution", "alice"),
                    {"trainingJobName": "churn-model-v3", "stoppingCondition": {"maxRuntimeInSeconds": 86400}}))
    ev.append(event(rnd, t(4, 9, 30), "sagemaker.amazonaws.com", "CreateTrainingJob", role_on_behalf_of("SageMakerStudioExecution", "erin"),
                    {"trainingJobName": "risk-scoring", "stoppingCondition": {"maxRuntimeInSeconds": 86400}}))
    # SageMaker Pipelines: the user starts an execution from Studio (identity-enhanced); the
    # pipeline's own role creates each step's job, without the user's onBehalfOf. Their ids come
    # from a generator of their own, so that adding them left every other event as it was.
    rnd = random.Random("sagemaker-pipelines")
    for p in PIPELINES:
        ev.append(event(rnd, p.started, "sagemaker.amazonaws.com", "StartPipelineExecution", role_on_behalf_of("SageMakerStudioExecution", p.user),
                        {"pipelineName": p.pipeline, "pipelineExecutionDisplayName": f"execution-{epoch_ms(p.started)}",
                         "clientRequestToken": f"{p.execution_id}-token-0000000000000000",
                         "pipelineParameters": [{"name": "ApiToken", "value": "sample-not-a-secret"},
                                                {"name": "InputDataUrl", "value": f"s3://ml-data/{p.pipeline}/input"}]},
                        {"pipelineExecutionArn": p.arn}))
        for st in p.steps:
            key = "trainingJobName" if st.job_type == "training" else "processingJobName"
            name = "CreateTrainingJob" if st.job_type == "training" else "CreateProcessingJob"
            session = f"sagemaker-pipeline-{p.execution_id}-{st.step}"[:64]
            role = {"type": "AssumedRole", "principalId": f"AROA5EXAMPLEPIPELN:{session}",
                    "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/SageMakerPipelineExecution/{session}", "accountId": ACCOUNT,
                    "sessionContext": {"sessionIssuer": {"type": "Role", "arn": f"arn:aws:iam::{ACCOUNT}:role/SageMakerPipelineExecution"}}}
            ev.append(event(rnd, st.created, "sagemaker.amazonaws.com", name, role,
                            {key: st.job, "stoppingCondition": {"maxRuntimeInSeconds": st.max_runtime}}))
    return ev


# How each SageMaker job ended, as AWS says it: (job, created, status, end, failure reason).
# The failure's wording is illustrative: AWS does not document the message a job gets when the
# user's identity-enhanced session ends.
SAGEMAKER_ENDS = [
    ("churn-model-v3", dt.datetime(2025, 11, 17, 16, 0, tzinfo=UTC), "Completed", dt.datetime(2025, 11, 17, 19, 30, tzinfo=UTC), None),
    ("risk-scoring", dt.datetime(2025, 11, 21, 9, 30, tzinfo=UTC), "Failed", dt.datetime(2025, 11, 21, 11, 14, 30, tzinfo=UTC),
     "ClientError: The user's identity-enhanced session has ended; the job's credentials could not be refreshed."),
]


# SageMaker Pipelines executions and their steps' jobs. frank's Wednesday retraining, while
# background sessions are allowed, completes; erin's Friday feature build, started 40 min before
# her 11:00 logout with background sessions off, fails 12 minutes after it (a cut). The steps' jobs
# are named as SageMaker names them: pipelines-<execution id>-<step name>-<token>.
PipelineStep = collections.namedtuple("PipelineStep", "step job_type job created status end reason max_runtime")
class Pipeline(collections.namedtuple("Pipeline", "execution_id pipeline user started steps status end reason")):
    @property
    def arn(self):
        return f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:pipeline/{self.pipeline}/execution/{self.execution_id}"


PIPELINES = [
    Pipeline("k7m2q9x4p1z8", "fraud-retrain", "frank", t(2, 14), [
        PipelineStep("Preprocess", "processing", "pipelines-k7m2q9x4p1z8-Preprocess-Ab3dE5fG7h", t(2, 14, 0, 40), "Completed", t(2, 14, 25), None, 3600),
        PipelineStep("TrainModel", "training", "pipelines-k7m2q9x4p1z8-TrainModel-Qw8eR2tY6u", t(2, 14, 26), "Completed", t(2, 16, 10), None, 86400),
    ], "Succeeded", t(2, 16, 10, 30), None),
    Pipeline("r5t8w1y3u6i9", "risk-features", "erin", t(4, 10, 20), [
        PipelineStep("BuildFeatures", "processing", "pipelines-r5t8w1y3u6i9-BuildFeatures-Zx4cV6bN8m", t(4, 10, 21), "Failed", t(4, 11, 12),
                     "ClientError: The user's identity-enhanced session has ended; the job's credentials could not be refreshed.", 86400),
    ], "Failed", t(4, 11, 12, 20), "Step failure: One or multiple steps failed."),
]
BACKGROUND_OFF = dt.datetime(2025, 11, 20, 12, tzinfo=UTC)  # Thursday noon (see cloudtrail_events)
BACKGROUND_LIMIT = 7 * 86400


def job_limit(user, anchor, created, signins, logouts):
    """The limit the user's session puts on a job created at `created` whose session began at
    `anchor` (its own creation, or its pipeline's start): the background session's end, or with
    background sessions off the end of the sign-in window open at `anchor` plus the grace."""
    if anchor < BACKGROUND_OFF:
        return BACKGROUND_LIMIT - int((created - anchor).total_seconds()), None
    ends = [e for s, e in windows(user, signins, logouts) if s <= anchor < e]
    end = max(ends) if ends else anchor
    return max(0, int((end - created).total_seconds()) + GRACE), (max(ends) if ends else None)


def render_sagemaker(root, signins, logouts):
    """EventBridge's job state changes as Firehose delivers them to S3 (gzipped JSON lines, one
    file an hour of delivery), and a saved `aws sagemaker describe-training-job` answer. Returns
    each job's expected end, with the file and line that says it."""
    ms = lambda x: int(x.timestamp() * 1000)
    events, out = [], []
    for name, created, status, end, reason in SAGEMAKER_ENDS:
        arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/{name}"
        for state, at, ended in [("InProgress", created + dt.timedelta(seconds=30), None), (status, end + dt.timedelta(seconds=2), end)]:
            detail = {"TrainingJobName": name, "TrainingJobArn": arn, "TrainingJobStatus": state,
                      "SecondaryStatus": {"InProgress": "Training", "Completed": "Completed", "Failed": "Failed"}[state],
                      "HyperParameters": {"api_token": "sample-not-a-secret"}, "CreationTime": ms(created),
                      "StoppingCondition": {"MaxRuntimeInSeconds": 86400}, "LastModifiedTime": ms(at)}
            if ended:
                detail["TrainingEndTime"] = ms(ended)
            if reason and state == "Failed":
                detail["FailureReason"] = reason
            events.append((at, {"version": "0", "id": f"{name}-{state}", "detail-type": "SageMaker Training Job State Change",
                                "source": "aws.sagemaker", "account": ACCOUNT, "time": iso(at), "region": REGION,
                                "resources": [arn], "detail": detail}))
    # The pipelines: each execution's status changes, its steps' (naming the job each ran; a job's
    # ARN writes its name in lower case), and the jobs' own state changes.
    for p in PIPELINES:
        def pipeline_event(at, kind, detail):
            detail = dict(detail, pipelineArn=f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:pipeline/{p.pipeline}", pipelineExecutionArn=p.arn)
            return (at, {"version": "0", "id": f"{p.execution_id}-{kind}-{epoch_ms(at)}",
                         "detail-type": f"SageMaker Model Building Pipeline Execution {kind} Change", "source": "aws.sagemaker",
                         "account": ACCOUNT, "time": iso(at), "region": REGION,
                         "resources": [f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:pipeline/{p.pipeline}", p.arn], "detail": detail})
        execution = {"pipelineExecutionDisplayName": f"execution-{epoch_ms(p.started)}", "executionStartTime": iso(p.started)}
        events.append(pipeline_event(p.started + dt.timedelta(seconds=1), "Status",
                                     dict(execution, currentPipelineExecutionStatus="Executing")))
        final = dict(execution, currentPipelineExecutionStatus=p.status, previousPipelineExecutionStatus="Executing",
                     executionEndTime=iso(p.end))
        if p.reason:
            final["failureReason"] = p.reason
        events.append(pipeline_event(p.end, "Status", final))
        for st in p.steps:
            kind = "trainingJob" if st.job_type == "training" else "processingJob"
            arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:{st.job_type}-job/{st.job.lower()}"
            step = {"metadata": {kind: {"arn": arn}}, "stepName": st.step, "stepType": st.job_type.capitalize(),
                    "stepStartTime": iso(st.created)}
            events.append(pipeline_event(st.created + dt.timedelta(seconds=2), "Step Status",
                                         dict(step, currentStepStatus="Executing", previousStepStatus="Starting")))
            done = dict(step, currentStepStatus="Succeeded" if st.status == "Completed" else "Failed",
                        previousStepStatus="Executing", stepEndTime=iso(st.end))
            if st.reason:
                done["failureReason"] = st.reason
            events.append(pipeline_event(st.end + dt.timedelta(seconds=5), "Step Status", done))
            prefix = "Training" if st.job_type == "training" else "Processing"
            for state, at in [("InProgress", st.created + dt.timedelta(seconds=20)), (st.status, st.end + dt.timedelta(seconds=2))]:
                detail = {f"{prefix}JobName": st.job, f"{prefix}JobArn": arn, f"{prefix}JobStatus": state,
                          "CreationTime": ms(st.created), "StoppingCondition": {"MaxRuntimeInSeconds": st.max_runtime},
                          "LastModifiedTime": ms(at), "Environment": {"API_TOKEN": "sample-not-a-secret"}}
                if state != "InProgress":
                    detail[f"{prefix}EndTime"] = ms(st.end)
                if st.reason and state == "Failed":
                    detail["FailureReason"] = st.reason
                events.append((at, {"version": "0", "id": f"{st.job}-{state}", "detail-type": f"SageMaker {prefix} Job State Change",
                                    "source": "aws.sagemaker", "account": ACCOUNT, "time": iso(at), "region": REGION,
                                    "resources": [arn], "detail": detail}))
    events.sort(key=lambda e: (e[0], e[1]["id"]))
    rel = "sagemaker/events/2025/11/24/sagemaker-job-state-1-2025-11-24-00-00-00-6f1c2d3e.gz"
    lines = [json.dumps(e, sort_keys=True) for _, e in events]
    write(root, rel, ("\n".join(lines) + "\n").encode())

    def line_of(pred):
        return next(i + 1 for i, (_, e) in enumerate(events) if pred(e))

    def job_status(e, name, status):
        d = e["detail"]
        return status in (d.get("TrainingJobStatus"), d.get("ProcessingJobStatus")) and name in (d.get("TrainingJobName"), d.get("ProcessingJobName"))

    # What each job should say, in the order they were created; and the cuts.
    jobs, cuts = [], []
    for name, created, status, end, reason in SAGEMAKER_ENDS:
        user = {"churn-model-v3": "alice", "risk-scoring": "erin"}[name]
        limit, window_end = job_limit(user, created, created, signins, logouts)
        jobs.append((created, {"job_name": name, "ended_at": iso(end), "end_status": status, "failure_reason": reason,
                               "end_evidence": f"EventBridge samples/{rel}:{line_of(lambda e: job_status(e, name, status))}",
                               "user_name": user, "identity_status": "propagated", "session_limit_s": limit,
                               "pipeline_execution_arn": None, "pipeline_step": None}))
        if status == "Failed" and window_end and window_end <= end <= window_end + dt.timedelta(seconds=GRACE + 60):
            cuts.append(name)
    pipelines = []
    for p in PIPELINES:
        for st in p.steps:
            limit, window_end = job_limit(p.user, p.started, st.created, signins, logouts)
            jobs.append((st.created, {"job_name": st.job, "ended_at": iso(st.end), "end_status": st.status, "failure_reason": st.reason,
                                      "end_evidence": f"EventBridge samples/{rel}:{line_of(lambda e: job_status(e, st.job, st.status))}",
                                      "user_name": p.user, "identity_status": "asserted", "session_limit_s": limit,
                                      "pipeline_execution_arn": p.arn, "pipeline_step": st.step}))
            if st.status == "Failed" and window_end and window_end <= st.end <= window_end + dt.timedelta(seconds=GRACE + 60):
                cuts.append(st.job)
        pipelines.append({"execution_arn": p.arn, "pipeline_name": p.pipeline, "started_at": iso(p.started), "ended_at": iso(p.end),
                          "status": p.status, "failure_reason": p.reason, "user_name": p.user, "identity_status": "propagated",
                          "jobs": len(p.steps),
                          "end_evidence": f"EventBridge samples/{rel}:" + str(line_of(lambda e: e["detail"].get("pipelineExecutionArn") == p.arn
                                                                                        and e["detail"].get("currentPipelineExecutionStatus") == p.status))})
    out = [j for _, j in sorted(jobs, key=lambda x: x[0])]
    # The describe answer the CLI (v2) printed for alice's job: ISO times with microseconds.
    churn = SAGEMAKER_ENDS[0]
    describe = {"TrainingJobName": churn[0], "TrainingJobArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/{churn[0]}",
                "TrainingJobStatus": churn[2], "SecondaryStatus": "Completed",
                "CreationTime": churn[1].strftime("%Y-%m-%dT%H:%M:%S.350000+00:00"),
                "TrainingEndTime": churn[3].strftime("%Y-%m-%dT%H:%M:%S.000000+00:00"),
                "StoppingCondition": {"MaxRuntimeInSeconds": 86400}, "HyperParameters": {"api_token": "sample-not-a-secret"}}
    described = "sagemaker/describe/describe-training-job-churn-model-v3.json"
    write(root, described, (json.dumps(describe, indent=4) + "\n").encode(), compress=False)
    # The describe answer says the same end as the event, which has the later time (the
    # answer's is its end's): the event is the evidence.
    return {"jobs": out, "cuts": sorted(cuts)}, pipelines


def render_cloudtrail(root, rnd, sessions, signins, logouts):
    """Hourly files (delivered at :05 after their hour), two hours missing (Saturday 03:00 and
    04:00), three events delivered twice, one file cut in transit, and the digest chain."""
    relevant = cloudtrail_events(rnd, sessions, signins, logouts)
    by_hour = {}
    for e in relevant:
        by_hour.setdefault(e["eventTime"][:13], []).append(e)
    monitor = {"type": "AssumedRole", "principalId": "AROAMONITOR:collector", "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/Monitoring/collector",
               "accountId": ACCOUNT, "sessionContext": {"sessionIssuer": {"type": "Role", "arn": f"arn:aws:iam::{ACCOUNT}:role/Monitoring"}}}
    gap = {t(5, 3), t(5, 4)}
    cut = t(2, 2)
    # A nightly run reads the trail before the last hours' digests are delivered: no digest
    # ends after Sunday 21:00, so the files delivered after it are pending, not unverified.
    last_digest_end = END - dt.timedelta(hours=3)
    duplicates = [e for e in relevant if e["eventName"] == "UserAuthentication"][:3]
    digests = []
    previous = None
    hour = START
    prefix = f"AWSLogs/{ACCOUNT}/CloudTrail/{REGION}"
    dprefix = f"AWSLogs/{ACCOUNT}/CloudTrail-Digest/{REGION}"
    while hour < END:
        key = hour.strftime("%Y-%m-%dT%H")
        events = by_hour.get(key, []) + [
            event(rnd, hour + dt.timedelta(minutes=m), "ec2.amazonaws.com", "DescribeInstances", monitor, {"maxResults": 1000}, readOnly=True)
            for m in (7, 37)]
        # Duplicates: CloudTrail may deliver an event again in a later file.
        events += [d for d in duplicates if d["eventTime"][:13] == (hour - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H")]
        events.sort(key=lambda e: (e["eventTime"], e["eventID"]))
        delivered = hour + dt.timedelta(hours=1, minutes=5)
        logs = []
        if hour not in gap:
            name = f"{prefix}/{delivered:%Y/%m/%d}/{ACCOUNT}_CloudTrail_{REGION}_{delivered:%Y%m%dT%H%M}Z_{''.join(rnd.choice('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789') for _ in range(16))}.json.gz"
            content = json.dumps({"Records": events}, separators=(",", ":")).encode()
            compressed = gz(content)
            if hour == cut:
                compressed = compressed[: len(compressed) * 6 // 10]  # cut in transit
            write(root, name, compressed, compress=False)
            logs.append({"s3Bucket": "org-trail-logs", "s3Object": name, "hashValue": hashlib.sha256(content).hexdigest(),
                         "hashAlgorithm": "SHA-256", "newestEventTime": events[-1]["eventTime"], "oldestEventTime": events[0]["eventTime"]})
        # The digest for the hour the file was delivered in.
        start, end = delivered.replace(minute=0), delivered.replace(minute=0) + dt.timedelta(hours=1)
        dname = f"{dprefix}/{end:%Y/%m/%d}/{ACCOUNT}_CloudTrail-Digest_{REGION}_org-trail_{REGION}_{end:%Y%m%dT%H%M%S}Z.json.gz"
        digest = {"awsAccountId": ACCOUNT, "digestStartTime": iso(start), "digestEndTime": iso(end), "digestS3Bucket": "org-trail-logs",
                  "digestS3Object": dname, "digestPublicKeyFingerprint": "9f8e7d6c5b4a39281706f5e4d3c2b1a0", "digestSignatureAlgorithm": "SHA256withRSA",
                  "newestEventTime": logs[0]["newestEventTime"] if logs else None, "oldestEventTime": logs[0]["oldestEventTime"] if logs else None,
                  "previousDigestS3Bucket": "org-trail-logs" if previous else None, "previousDigestS3Object": previous[0] if previous else None,
                  "previousDigestHashValue": previous[1] if previous else None, "previousDigestHashAlgorithm": "SHA-256" if previous else None,
                  "previousDigestSignature": "00ff" * 8 if previous else None, "logFiles": logs}
        dcontent = json.dumps(digest, separators=(",", ":")).encode()
        if end <= last_digest_end:
            write(root, dname, dcontent)
        previous = (dname, hashlib.sha256(dcontent).hexdigest())
        hour += dt.timedelta(hours=1)
    return relevant, gap | {cut}


# ---------------------------------------------------------------------------------------------
# The answers, from the model (SPEC §4)


def windows(user, signins, logouts):
    out = []
    for u, start in signins:
        if u != user:
            continue
        later = [x for v, x in logouts if v == user and x >= start]
        out.append((start, min([start + dt.timedelta(seconds=INTERACTIVE_DURATION)] + later)))
    return out


def covered(ws, a, b):
    spans = sorted((max(s, a), min(e, b)) for s, e in ws if max(s, a) < min(e, b))
    total, cur = 0, None
    for s, e in spans:
        if cur and s <= cur[1]:
            cur = (cur[0], max(cur[1], e))
        else:
            if cur:
                total += (cur[1] - cur[0]).total_seconds()
            cur = (s, e)
    if cur:
        total += (cur[1] - cur[0]).total_seconds()
    return int(total)


def role_work(events, lost_hours):
    """(role name, user id, time) of every event a role session made on a user's behalf, as
    delivered (events of the hours whose file is missing or cut are not in the data)."""
    out = []
    for e in events:
        ident = e["userIdentity"]
        if ident.get("type") != "AssumedRole" or "onBehalfOf" not in ident:
            continue
        when = dt.datetime.strptime(e["eventTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        if when.replace(minute=0, second=0) in lost_hours:
            continue
        role = ident["sessionContext"]["sessionIssuer"]["arn"].split("/")[-1]
        out.append((role, ident["onBehalfOf"]["userId"], when))
    return out


def session_cost(s, duration):
    """SPEC §4's cost rules: (cost_basis, cost_usd)."""
    if s.yarn is not None and s.app_seq is not None:
        return "yarn", s.vcore_seconds / 3600 * RATE_VCPU_HOUR + s.memory_seconds / 1024 / 3600 * RATE_GB_HOUR
    if s.reason == "start_failed":
        return "none", None
    return "requested", (s.vcores * RATE_VCPU_HOUR + s.memory_mb / 1024 * RATE_GB_HOUR) * duration / 3600


def expected(sessions, signins, logouts, work):
    # The last line of every cluster with a ResourceManager log (j-3OPSLEGACY7 has none, and all
    # its sessions end, so its as_of, its last Livy line, is never used).
    as_of = END - dt.timedelta(minutes=1)
    disabled = t(3, 12)
    out = []
    for s in sessions:
        end = s.ended or as_of
        duration = int((end - s.created).total_seconds())
        # A batch runs a job, not a notebook: never idle, and no background time (SPEC §4).
        idle = 0 if s.batch else max(0, int((end - s.last_activity).total_seconds()))
        basis, cost = session_cost(s, duration)
        # Propagated: a role session worked on the user's behalf during the session (times to
        # the second, both ends included); one of the cluster's roles where RunJobFlow names
        # them, else any role. The user's own sign-in and logout events do not count.
        roles = CLUSTER_ROLES.get(s.cluster)
        prop_basis = "cluster_role" if roles else "any_role"
        if s.no_proxy:
            status, user_id, prop_basis = "missing", None, None
        elif s.user in USER_ID:
            user_id = USER_ID[s.user]
            on_behalf = [w for w in work if w[1] == user_id and s.created <= w[2] <= end and (roles is None or w[0] in roles)]
            status = "propagated" if on_behalf else "asserted"
        else:
            status, user_id, prop_basis = "unresolved", None, None
        ws = windows(s.user, signins, logouts) if user_id and not s.batch else []
        interactive = covered(ws, s.created, end) if ws else None
        background = duration - interactive if interactive is not None else None
        observed = None if s.batch else "unknown" if background is None else ("background" if background > GRACE else "interactive")
        # The three facts of the policy matrix: the Identity Center application (ENABLED from
        # Monday 00:12 until Thursday 12:00), the release and the security configuration
        # (known only for the clusters RunJobFlow launched in the trail).
        c = CLUSTERS[s.cluster]
        facts = [s.created < disabled]
        if s.cluster in CLUSTER_ROLES:
            facts.append(c["release"] >= "emr-7.11.0")
            facts.append(c["security"] == "tip-background")
        else:
            facts += [None, None]
        policy = "interactive" if False in facts else "background" if all(f is True for f in facts) else "unknown"
        out.append({
            "session_key": f"{s.cluster}/{iso(s.server_start)}/{'batch-' if s.batch else ''}{s.sid}",
            "cluster_id": s.cluster, "livy_session_id": s.sid, "session_type": "batch" if s.batch else "interactive",
            "proxy_user": None if s.no_proxy else s.user,
            "user_id": user_id, "created_at": iso(s.created), "ready_at": iso(s.ready) if s.ready else None,
            "ended_at": iso(s.ended) if s.ended else None, "end_reason": s.reason, "last_activity_at": iso(s.last_activity),
            "statements": len(s.statements), "duration_s": duration, "idle_tail_s": idle,
            "abandoned": 1 if idle >= ABANDON_AFTER else 0, "interactive_s": interactive, "background_s": background,
            "mode_observed": observed, "mode_policy": policy, "identity_status": status, "propagation_basis": prop_basis,
            "cost_basis": basis,
            "cost_usd": None if cost is None else round(cost, 6),
            "idle_cost_usd": None if cost is None else round(cost * idle / duration if duration else 0, 6),
            "background_cost_usd": None if cost is None or background is None else round(cost * background / duration if duration else 0, 6),
            "executor_cap": executor_cap(s)[0], "executor_cap_source": executor_cap(s)[1],
            "peak_containers": getattr(s, "peak_containers", None), "peak_vcores": getattr(s, "peak_vcores", None),
            "account_id": CLUSTER_ACCOUNT[s.cluster], "user_account_id": user_account(s, end),
        })
    out.sort(key=lambda e: e["session_key"])
    return out


def executor_cap(s):
    """The most executors the session could hold, and what says so. Dynamic allocation is on
    unless the session turns it off (EMR and Glue turn it on); under it numExecutors only sets
    the first executors (Spark 2.0+)."""
    if s.dynamic is False:
        return s.executors, "static"
    if s.max_executors is not None:
        return s.max_executors, "session"
    if s.cluster in CLUSTER_MAX_EXECUTORS:
        return CLUSTER_MAX_EXECUTORS[s.cluster], "cluster"
    return None, "none"


def user_account(s, end):
    """The account a session's user came from: a cross-account role session of the user into
    the cluster's account, live at some moment of the session (both ends included)."""
    for user, start, seconds, caller, role_account in CROSS_ACCOUNT:
        if user == s.user and role_account == CLUSTER_ACCOUNT[s.cluster] and start <= end \
                and start + dt.timedelta(seconds=seconds) >= s.created:
            return caller
    return None


def shared_cluster_findings(sessions):
    """uncapped_session_on_shared_cluster and start_starved, pair by pair (issue 20): a session
    runs from its creation to its end (or as_of); two overlap when each starts before the other
    ends; a user is the proxy user (else the Livy service user)."""
    as_of = END - dt.timedelta(minutes=1)
    key = lambda s: f"{s.cluster}/{iso(s.server_start)}/{'batch-' if s.batch else ''}{s.sid}"
    who = lambda s: s.user or "the Livy service user"
    span = lambda s: (s.created, s.ended or as_of)
    out = []
    for s in sessions:
        others = [o for o in sessions if o is not s and o.cluster == s.cluster and who(o) != who(s)]
        if executor_cap(s)[1] == "none" and s.ready:
            users = sorted({who(o) for o in others if span(o)[0] < span(s)[1] and span(o)[1] > span(s)[0]})
            if users:
                out.append({"code": "uncapped_session_on_shared_cluster", "subject": key(s), "others": users,
                            "peak_containers": getattr(s, "peak_containers", None),
                            "peak_vcores": getattr(s, "peak_vcores", None)})
        slow = s.ready is not None and (s.ready - s.created).total_seconds() > 60
        if s.reason == "start_failed" or slow:
            start_end = s.ready or span(s)[1]
            holders = [o for o in others if executor_cap(o)[1] == "none" and o.ready and o.ready < start_end
                       and span(o)[1] > s.created]
            if holders:
                how = "failed to start" if s.reason == "start_failed" else f"took {int((s.ready - s.created).total_seconds())} s to start"
                out.append({"code": "start_starved", "subject": key(s), "how": how,
                            "holders": [key(o) for o in sorted(holders, key=lambda o: o.created)]})
    out.sort(key=lambda f: (f["code"], f["subject"]))
    return out


def cluster_hours(sessions):
    """Per cluster and hour in which a session was open: the most users with a session open at
    once (read at the hour's start and at every opening in it; a user with two sessions is one)
    and the user whose sessions held the most vCore-seconds in the hour. A session holds its
    YARN app's vcore_seconds spread over its life, else the vCores it requested (driver and
    executors), nothing if it never started."""
    as_of = END - dt.timedelta(minutes=1)
    who = lambda s: s.user or "(no user)"
    spans = []
    for s in sessions:
        opened, closed = s.created, s.ended or as_of
        if closed <= opened:
            continue
        duration = int((closed - opened).total_seconds())
        if s.reason == "start_failed":
            vcores = 0.0
        elif s.yarn is not None and s.app_seq is not None:
            vcores = s.vcore_seconds / duration
        else:
            vcores = float(s.vcores)
        spans.append((s.cluster, who(s), opened, closed, vcores))
    hour_of = lambda x: x.replace(minute=0, second=0, microsecond=0)
    out = []
    for cid in sorted({sp[0] for sp in spans}):
        mine = [sp for sp in spans if sp[0] == cid]
        hours = set()
        for _, _, opened, closed, _ in mine:
            h = hour_of(opened)
            while h < closed:
                hours.add(h)
                h += dt.timedelta(hours=1)
        for h in sorted(hours):
            end = h + dt.timedelta(hours=1)
            reads = [h] + [sp[2] for sp in mine if h <= sp[2] < end]
            users = max(len({sp[1] for sp in mine if sp[2] <= t < sp[3]}) for t in reads)
            held = {}
            for _, user, opened, closed, vcores in mine:
                seconds = (min(closed, end) - max(opened, h)).total_seconds()
                if vcores > 0 and seconds > 0:
                    held[user] = held.get(user, 0.0) + vcores * seconds
            top = min(held.items(), key=lambda kv: (-kv[1], kv[0])) if held else None
            out.append({"cluster_id": cid, "hour": iso(h), "max_concurrent_users": users,
                        "top_user": top[0] if top else None,
                        "top_user_vcore_seconds": round(top[1], 6) if top else None})
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rnd = random.Random(args.seed)
    root = args.out
    for sub in ("emr-logs", "glue", "AWSLogs", "sagemaker", "expected"):
        shutil.rmtree(os.path.join(root, sub), ignore_errors=True)

    sessions, signins, logouts = build(args.seed)[:3]
    restarts = build(args.seed)[3]
    letters = "abcdefghijklmnopqrstuvwxyz0123456789"
    seq = {}
    for s in sorted(sessions, key=lambda s: (s.cluster, s.created)):
        s.tag = "".join(rnd.choice(letters) for _ in range(8))
        if s.reason != "start_failed":
            seq[s.cluster] = seq.get(s.cluster, 0) + 1
            s.app_seq = seq[s.cluster]
        restart = next((r for r in restarts.get(s.cluster, []) if r > s.created), None)
        lifecycle(s, s.cluster, restart)

    for cid, c in CLUSTERS.items():
        mine = [s for s in sessions if s.cluster == cid]
        if c["instance"]:
            base = f"{c.get('log_root', 'emr-logs')}/{cid}/node/{c['instance']}/applications"
        else:
            base = f"glue/{cid}"
        render_livy(root, cid, mine, restarts, f"{base}/livy")
        render_requests(root, mine, f"{base}/livy")
        if c.get("rm_logs", True):
            render_yarn(root, cid, mine, f"{base}/hadoop-yarn")
    listings = render_listings(root, sessions)
    job_ends, pipelines = render_sagemaker(root, signins, logouts)
    events, lost_hours = render_cloudtrail(root, rnd, sessions, signins, logouts)

    with open(os.path.join(root, "identities.csv"), "w") as f:
        f.write("userId,userName,email,costCenter\n")
        for u in USERS:
            f.write(",".join(u) + "\n")
    os.makedirs(os.path.join(root, "expected"), exist_ok=True)
    with open(os.path.join(root, "expected", "sessions.json"), "w") as f:
        json.dump(expected(sessions, signins, logouts, role_work(events, lost_hours)), f, indent=1, sort_keys=True)
        f.write("\n")
    with open(os.path.join(root, "expected", "shared_cluster_findings.json"), "w") as f:
        json.dump(shared_cluster_findings(sessions), f, indent=1, sort_keys=True)
        f.write("\n")
    with open(os.path.join(root, "expected", "sagemaker_jobs.json"), "w") as f:
        json.dump(job_ends, f, indent=1, sort_keys=True)
        f.write("\n")
    with open(os.path.join(root, "expected", "sagemaker_pipelines.json"), "w") as f:
        json.dump(pipelines, f, indent=1, sort_keys=True)
        f.write("\n")
    with open(os.path.join(root, "expected", "cluster_hours.json"), "w") as f:
        json.dump(cluster_hours(sessions), f, indent=1, sort_keys=True)
        f.write("\n")
    with open(os.path.join(root, "expected", "yarn_app_listing.json"), "w") as f:
        json.dump(listings, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
