#!/usr/bin/env python3
"""Infra consistency test: infra/template.yaml against the Rust adapters, and deployed into moto.

1. Reads what the Rust code expects (shared/aws: table names, env vars, key schemas, GSIs, the
   TTL attribute, queue naming; shared/domain: the streams and which one is FIFO).
2. Translates the SAM template with aws-sam-translator (fake account and region; CodeUri replaced
   by a dummy S3 object: the Cargo build is not part of this test) and checks the translated
   template statically: tables = the Rust specs (keys, GSIs, TTL, PITR, on-demand, SSE), queues
   (FIFO, dedup, redrive 5, visibility >= 6x the consumer's timeout), event source mappings
   (ReportBatchItemFailures, FIFO batch <= 10), env vars the code reads, HTTP routes and their
   auth, the sla schedule, JSON logging with retention, least-privilege roles (no "*" action or
   resource), alarms and outputs.
3. Deploys the translated template into moto's CloudFormation ($SOCIALCARE_MOTO_URL), asserts
   CREATE_COMPLETE, checks that the outputs name tables and queues that exist with the expected
   keys/GSIs/FIFO/redrive, runs a message through a queue's redrive into its DLQ, and writes the
   outputs (and the env the functions would get) to target/infra-outputs.json.

Usage: SOCIALCARE_MOTO_URL=http://127.0.0.1:5599 .venv/bin/python infra/tests/test_stack.py [--static-only]
Exits non-zero with every failed assertion listed.
"""

from __future__ import annotations

import copy
import io
import json
import os
import re
import sys
import time
import uuid
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = Path(os.environ.get("SOCIALCARE_INFRA_TEMPLATE", ROOT / "infra" / "template.yaml"))
OUTPUTS_FILE = Path(os.environ.get("SOCIALCARE_INFRA_OUTPUTS", ROOT / "target" / "infra-outputs.json"))
REGION = "us-east-1"
ACCOUNT = "123456789012"

# The pipeline's topology (DESIGN.md): stream -> (producer functions, consumer function).
# The agent API announces the cases a merge or split of customers changed.
TOPOLOGY = {
    "received": (("IngestFunction",), "ClassifyFunction"),
    "classified": (("ClassifyFunction",), "ThreadFunction"),
    "cases": (("ThreadFunction", "AgentApiFunction"), "RouteFunction"),
    "replies": (("AgentApiFunction",), "OutboundFunction"),
}
FUNCTIONS = {
    "IngestFunction": "fn-ingest",
    "ClassifyFunction": "fn-classify",
    "ThreadFunction": "fn-thread",
    "RouteFunction": "fn-route",
    "SlaFunction": "fn-sla",
    "AgentApiFunction": "fn-agent-api",
    "OutboundFunction": "fn-outbound",
    "TrendsFunction": "fn-trends",
}
# The webhooks' paths: on the ingest function URL, never on the HTTP API (issue 22).
WEBHOOK_PATHS = {"/webhooks/x", "/webhooks/meta", "/webhooks/meta/deletion", "/deletion/{code}", "/webhooks/generic"}

failures: list[str] = []
passed = 0


def check(ok: bool, what: str) -> bool:
    global passed
    if ok:
        passed += 1
    else:
        failures.append(what)
        print(f"  FAIL {what}", flush=True)
    return ok


def section(title: str) -> None:
    print(f"-- {title}", flush=True)


# ------------------------------------------------------------------ what the Rust code expects

def read(rel: str) -> str:
    path = ROOT / rel
    if not path.exists():
        raise SystemExit(f"infra test: {rel} not found (the test reads the adapters' schema from it)")
    return path.read_text()


# provision.rs names a projection by its `Projected` variant.
PROJECTIONS = {"All": "ALL", "KeysOnly": "KEYS_ONLY"}


def rust_expectations() -> dict:
    """Table specs, env var names and streams, read from shared/aws and shared/domain."""
    consts: dict[str, str] = {}
    for rel in ("shared/aws/src/codec.rs", "shared/aws/src/tables.rs"):
        for name, value in re.findall(r'const\s+(\w+)\s*:\s*&str\s*=\s*"([^"]*)"\s*;', read(rel)):
            consts[name] = value
    tables_rs = read("shared/aws/src/tables.rs")
    table_env = dict(re.findall(r'\(\s*"(\w+)"\s*,\s*"(TABLE_\w+)"\s*\)', tables_rs))
    prefix_fmt = re.search(r'format!\("\{prefix\}\{(\w+)\}"\)', tables_rs)

    provision = read("shared/aws/src/provision.rs")
    body = re.search(r"fn specs\(.*?\n}\n", provision, re.S)
    if not body:
        raise SystemExit("infra test: cannot find fn specs in shared/aws/src/provision.rs; update infra/tests/test_stack.py")
    body = body.group(0)

    def const(name: str) -> str:
        if name not in consts:
            raise SystemExit(f"infra test: constant {name} (provision.rs) not found in codec.rs/tables.rs")
        return consts[name]

    specs: dict[str, dict] = {}
    projections: dict[tuple[str, str], str] = {}
    for name in re.findall(r"plain\(&names\.(\w+)\)", body):
        specs[name] = {"indexes": {}, "ttl": None}
    for name, indexes, ttl in re.findall(
        r"TableSpec\s*\{\s*name:\s*&names\.(\w+),\s*indexes:\s*vec!\[(.*?)\],\s*ttl:\s*(None|Some\(\w+\)),", body, re.S
    ):
        idx = {}
        for iname, pk, sk, projected in re.findall(r"\(\s*(\w+)\s*,\s*(\w+)\s*,\s*(\w+)\s*,\s*(\w+)\s*\)", indexes):
            idx[const(iname)] = (const(pk), const(sk))
            projections[(name, const(iname))] = PROJECTIONS[projected]
        ttl_attr = None if ttl == "None" else const(re.search(r"Some\((\w+)\)", ttl).group(1))
        specs[name] = {"indexes": idx, "ttl": ttl_attr}
    if set(specs) != set(table_env):
        raise SystemExit(
            f"infra test: provision.rs specs {sorted(specs)} differ from tables.rs TABLE_ENV {sorted(table_env)}"
        )
    pk = const("PK")

    sqs_rs = read("shared/aws/src/sqs.rs")
    qfmt = re.search(r'format!\("(QUEUE_)\{\}(_URL)"', sqs_rs)
    if not qfmt:
        raise SystemExit("infra test: cannot find the queue env var format in shared/aws/src/sqs.rs")
    events = read("shared/domain/src/events.rs")
    streams = dict(re.findall(r'Stream::(\w+)\s*=>\s*"(\w+)"', events))
    fifo_block = re.search(r"fn is_fifo\(self\)\s*->\s*bool\s*\{(.*?)\}", events, re.S)
    fifo = {streams[v] for v in re.findall(r"Stream::(\w+)", fifo_block.group(1))} if fifo_block else set()
    return {
        "pk": pk,
        "tables": specs,
        "projections": projections,
        "table_env": table_env,
        "prefix_naming": bool(prefix_fmt),
        "queue_env": lambda stream: f"{qfmt.group(1)}{stream.upper()}{qfmt.group(2)}",
        "streams": [s for s in streams.values() if s != "alerts"],
        "fifo": fifo,
    }


# ------------------------------------------------------------------ translation

def load_template() -> dict:
    from samcli.yamlhelper import yaml_parse

    return yaml_parse(TEMPLATE.read_text())


def translate(template: dict, bucket: str, key: str) -> dict:
    from samtranslator.translator.transform import transform

    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)  # the translator asks boto3 for a region
    sam = copy.deepcopy(template)
    for res in sam["Resources"].values():
        if res.get("Type") == "AWS::Serverless::Function":
            res["Properties"]["CodeUri"] = f"s3://{bucket}/{key}"
    glob = sam.get("Globals", {}).get("Function", {})
    if "CodeUri" in glob:
        glob["CodeUri"] = f"s3://{bucket}/{key}"

    class NoManagedPolicies:
        def load(self) -> dict:
            return {}

    params = {"AWS::Region": REGION, "AWS::AccountId": ACCOUNT, "AWS::Partition": "aws",
              "AWS::StackName": "socialcare", "AWS::URLSuffix": "amazonaws.com"}
    return transform(sam, params, NoManagedPolicies())


# ------------------------------------------------------------------ static checks

def ref_name(value) -> str | None:
    if isinstance(value, dict):
        if "Ref" in value:
            return value["Ref"]
        if "Fn::GetAtt" in value:
            att = value["Fn::GetAtt"]
            return att[0] if isinstance(att, list) else att.split(".")[0]
    return None


def table_name_suffix(props: dict) -> str | None:
    name = props.get("TableName")
    if isinstance(name, dict) and "Fn::Sub" in name:
        m = re.fullmatch(r"\$\{AWS::StackName\}-(\w+)", name["Fn::Sub"])
        return m.group(1) if m else None
    return None


def walk_strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for v in node.values():
            yield from walk_strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from walk_strings(v)


def static_checks(sam: dict, cfn: dict, rust: dict) -> dict:
    res = cfn["Resources"]
    sres = sam["Resources"]
    by_type: dict[str, dict] = {}
    for lid, r in res.items():
        by_type.setdefault(r["Type"], {})[lid] = r

    section("tables match shared/aws (provision.rs, tables.rs)")
    tables = {}
    for lid, r in by_type.get("AWS::DynamoDB::Table", {}).items():
        suffix = table_name_suffix(r["Properties"])
        check(suffix is not None, f"{lid}: TableName is !Sub ${{AWS::StackName}}-<name> (the CARE_TABLE_PREFIX naming)")
        tables[suffix] = (lid, r["Properties"])
    check(set(tables) == set(rust["tables"]), f"tables {sorted(tables)} == adapters' tables {sorted(rust['tables'])}")
    for name, spec in rust["tables"].items():
        if name not in tables:
            continue
        lid, p = tables[name]
        attrs = {a["AttributeName"]: a["AttributeType"] for a in p.get("AttributeDefinitions", [])}
        check(p.get("KeySchema") == [{"AttributeName": rust["pk"], "KeyType": "HASH"}],
              f"{lid}: key schema is {rust['pk']} HASH only")
        gsis = {g["IndexName"]: g for g in p.get("GlobalSecondaryIndexes", [])}
        check(set(gsis) == set(spec["indexes"]), f"{lid}: GSIs {sorted(gsis)} == {sorted(spec['indexes'])}")
        for iname, (ipk, isk) in spec["indexes"].items():
            g = gsis.get(iname)
            if g:
                check(g["KeySchema"] == [{"AttributeName": ipk, "KeyType": "HASH"}, {"AttributeName": isk, "KeyType": "RANGE"}],
                      f"{lid}.{iname}: keys ({ipk} HASH, {isk} RANGE)")
                want = rust["projections"][(name, iname)]
                check(g.get("Projection") == {"ProjectionType": want}, f"{lid}.{iname}: projection {want}")
        needed = {rust["pk"]} | {a for k in spec["indexes"].values() for a in k}
        check(attrs == {a: "S" for a in needed}, f"{lid}: attribute definitions {attrs} == string keys {sorted(needed)}")
        ttl = p.get("TimeToLiveSpecification")
        if spec["ttl"]:
            check(ttl == {"AttributeName": spec["ttl"], "Enabled": True}, f"{lid}: TTL on {spec['ttl']}")
        else:
            check(ttl is None, f"{lid}: no TTL")
        check(p.get("BillingMode") == "PAY_PER_REQUEST", f"{lid}: PAY_PER_REQUEST")
        check(p.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled") is True, f"{lid}: PITR")
        check(p.get("SSESpecification", {}).get("SSEEnabled") is True, f"{lid}: SSE")

    section("queues: DLQs, redrive, FIFO, visibility")
    queues = by_type.get("AWS::SQS::Queue", {})
    fn_props = {lid: res[lid]["Properties"] for lid in FUNCTIONS}
    esms = by_type.get("AWS::Lambda::EventSourceMapping", {})
    stream_queue: dict[str, str] = {}
    check(set(rust["streams"]) == set(TOPOLOGY), f"queue streams {sorted(rust['streams'])} == topology {sorted(TOPOLOGY)}")
    # What the agent API is told and granted (it lists and redrives every queue's dead letters).
    api_env = fn_props["AgentApiFunction"].get("Environment", {}).get("Variables", {})
    api_grants: dict[str, set] = {}
    for pol in res[res["AgentApiFunction"]["Properties"]["Role"]["Fn::GetAtt"][0]]["Properties"]["Policies"]:
        for st in pol["PolicyDocument"]["Statement"]:
            for r in st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]:
                api_grants.setdefault(ref_name(r), set()).update(st["Action"] if isinstance(st["Action"], list) else [st["Action"]])
    # The erasure (POST /v1/customers/{id}/erase) deletes parked messages and rewrites trend alerts.
    check({"dynamodb:DeleteItem"} <= api_grants.get("ParkedTable", set())
          and {"dynamodb:UpdateItem"} <= api_grants.get("AlertsTable", set()),
          "AgentApiFunction: may delete parked messages and rewrite trend alerts (erasure)")
    for stream, (_producers, consumer) in TOPOLOGY.items():
        fifo = stream in rust["fifo"]
        sfx = ".fifo" if fifo else ""
        main = [lid for lid, q in queues.items() if q["Properties"].get("QueueName") == {"Fn::Sub": f"${{AWS::StackName}}-{stream}{sfx}"}]
        dlq = [lid for lid, q in queues.items() if q["Properties"].get("QueueName") == {"Fn::Sub": f"${{AWS::StackName}}-{stream}-dlq{sfx}"}]
        if not (check(len(main) == 1, f"queue {stream}: one queue named <stack>-{stream}{sfx}")
                and check(len(dlq) == 1, f"queue {stream}: one DLQ named <stack>-{stream}-dlq{sfx}")):
            continue
        stream_queue[stream] = main[0]
        # Supervisors see and redrive every DLQ through the agent API (GET /v1/dead-letters):
        # the function is told the DLQ and its source queue, and may read the one, send to the other.
        up = stream.upper()
        check(ref_name(api_env.get(f"DLQ_{up}_URL")) == dlq[0] and ref_name(api_env.get(f"QUEUE_{up}_URL")) == main[0],
              f"AgentApiFunction: DLQ_{up}_URL and QUEUE_{up}_URL name {dlq[0]} and {main[0]}")
        check({"sqs:ReceiveMessage", "sqs:ChangeMessageVisibility", "sqs:DeleteMessage"} <= api_grants.get(dlq[0], set())
              and "sqs:SendMessage" in api_grants.get(main[0], set()), f"AgentApiFunction: may read {dlq[0]} and redrive to {main[0]}")
        q, d = queues[main[0]]["Properties"], queues[dlq[0]]["Properties"]
        rp = q.get("RedrivePolicy", {})
        check(ref_name(rp.get("deadLetterTargetArn")) == dlq[0], f"{main[0]}: redrive to {dlq[0]}")
        check(str(rp.get("maxReceiveCount")) == "5", f"{main[0]}: maxReceiveCount 5")
        check(bool(q.get("FifoQueue")) == fifo and bool(d.get("FifoQueue")) == fifo, f"{main[0]}/{dlq[0]}: FIFO = {fifo}")
        if fifo:
            check(q.get("ContentBasedDeduplication") is False, f"{main[0]}: content-based dedup off (messages carry dedup ids)")
        check(int(d.get("MessageRetentionPeriod", 0)) == 1209600, f"{dlq[0]}: keeps messages 14 days")
        check(q.get("SqsManagedSseEnabled") is True and d.get("SqsManagedSseEnabled") is True, f"{main[0]}/{dlq[0]}: SSE")
        timeout = int(fn_props[consumer].get("Timeout", 3))
        window = 0
        mine = [e["Properties"] for e in esms.values() if ref_name(e["Properties"].get("FunctionName")) == consumer]
        check(len(mine) == 1, f"{consumer}: one event source mapping")
        for e in mine:
            check(ref_name(e.get("EventSourceArn")) == main[0], f"{consumer}: consumes {main[0]}")
            check(e.get("FunctionResponseTypes") == ["ReportBatchItemFailures"], f"{consumer}: ReportBatchItemFailures")
            bs = int(e.get("BatchSize", 10))
            window = int(e.get("MaximumBatchingWindowInSeconds", 0))
            check(1 <= bs <= 10, f"{consumer}: batch size {bs} in 1..10")
            mc = int((e.get("ScalingConfig") or {}).get("MaximumConcurrency", 0))
            check(2 <= mc <= 50, f"{consumer}: MaximumConcurrency {mc} in 2..50 (never takes ingest's concurrency)")
            if fifo:
                check(window == 0, f"{consumer}: no batching window on a FIFO queue")
        vis = int(q.get("VisibilityTimeout", 30))
        check(vis >= 6 * timeout + window, f"{main[0]}: visibility {vis}s >= 6 x {consumer} timeout {timeout}s + window {window}s")

    section("functions: runtime, build, logging, env vars the code reads")
    prefix_sub = {"Fn::Sub": "${AWS::StackName}-"}
    for lid, binary in FUNCTIONS.items():
        s = sres[lid]
        p = fn_props[lid]
        check(s.get("Metadata", {}).get("BuildMethod") == "rust-cargolambda", f"{lid}: BuildMethod rust-cargolambda")
        check(s.get("Metadata", {}).get("BuildProperties", {}).get("Binary") == binary, f"{lid}: Binary {binary}")
        check(s["Properties"].get("CodeUri") == "..", f"{lid}: CodeUri .. (the workspace root)")
        check(p.get("Runtime") == "provided.al2023" and p.get("Handler") == "bootstrap", f"{lid}: provided.al2023 / bootstrap")
        check(p.get("Architectures") == [{"Ref": "Architecture"}], f"{lid}: Architectures from the Architecture parameter")
        lc = p.get("LoggingConfig", {})
        check(lc.get("LogFormat") == "JSON", f"{lid}: JSON logs")
        lg = ref_name(lc.get("LogGroup"))
        check(lg in res and res[lg]["Type"] == "AWS::Logs::LogGroup"
              and res[lg]["Properties"].get("RetentionInDays") == {"Ref": "LogRetentionDays"},
              f"{lid}: its own log group with retention")
        env = p.get("Environment", {}).get("Variables", {})
        for table, var in rust["table_env"].items():
            lid_t = tables.get(table, (None,))[0]
            check(ref_name(env.get(var)) == lid_t, f"{lid}: {var} = Ref {lid_t}")
        check(env.get("CARE_TABLE_PREFIX") == prefix_sub, f"{lid}: CARE_TABLE_PREFIX")
        check(env.get("CARE_CONFIG_PARAM") == {"Ref": "ConfigParameterName"}, f"{lid}: CARE_CONFIG_PARAM")
        check("RUST_LOG" in env, f"{lid}: RUST_LOG")
        for stream, (producers, _) in TOPOLOGY.items():
            var = rust["queue_env"](stream)
            # The agent API also names each queue its dead letters are redriven to.
            redrives = lid == "AgentApiFunction" and f"DLQ_{stream.upper()}_URL" in env
            if lid in producers or redrives:
                check(ref_name(env.get(var)) == stream_queue.get(stream), f"{lid}: {var} = its output queue")
            else:
                check(var not in env, f"{lid}: no {var} (it does not publish to {stream})")
    check(ref_name(fn_props["SlaFunction"]["Environment"]["Variables"].get("CARE_ALERTS_TOPIC_ARN")) == "AlertsTopic",
          "SlaFunction: CARE_ALERTS_TOPIC_ARN")
    check(int(fn_props["SlaFunction"].get("Timeout", 0)) == 70, "SlaFunction: 70 s timeout")

    section("least privilege: one role per function, nothing on *")
    roles = {}
    for lid in FUNCTIONS:
        role = ref_name(fn_props[lid].get("Role"))
        check(role in by_type.get("AWS::IAM::Role", {}), f"{lid}: has its own role")
        roles[lid] = role
    check(len(set(roles.values())) == len(FUNCTIONS), "a distinct role per function")
    for lid, r in by_type.get("AWS::IAM::Role", {}).items():
        p = r["Properties"]
        check(not p.get("ManagedPolicyArns"), f"{lid}: no managed policies")
        for pol in p.get("Policies", []):
            for st in pol["PolicyDocument"]["Statement"]:
                actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
                resources = st.get("Resource", [])
                resources = resources if isinstance(resources, list) else [resources]
                check(all("*" not in a for a in actions), f"{lid}/{st.get('Sid')}: no wildcard action")
                check(resources and all(x != "*" for x in resources), f"{lid}/{st.get('Sid')}: named resources")
                for x in resources:
                    for sval in walk_strings(x):
                        check(not re.search(r"(^|:)\*$|table/\*|index/\*", sval) or sval.endswith(("${SecretsPath}/*",)),
                              f"{lid}/{st.get('Sid')}: resource {sval!r} names its target")
    for stream, (producers, consumer) in TOPOLOGY.items():
        q = stream_queue.get(stream)
        needs = [(p, {"sqs:SendMessage"}) for p in producers]
        needs.append((consumer, {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"}))
        for lid, acts in needs:
            granted = set()
            for pol in res[roles[lid]]["Properties"]["Policies"]:
                for st in pol["PolicyDocument"]["Statement"]:
                    rs = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
                    if any(ref_name(x) == q for x in rs):
                        granted |= set(st["Action"] if isinstance(st["Action"], list) else [st["Action"]])
            check(acts <= granted, f"{lid}: {sorted(acts)} on {q}")

    section("webhooks: the ingest function URL")
    urls = [u["Properties"] for u in by_type.get("AWS::Lambda::Url", {}).values()]
    check(len(urls) == 1 and ref_name(urls[0].get("TargetFunctionArn")) == "IngestFunction", "one function URL, on ingest")
    if urls:
        check(urls[0].get("AuthType") == "NONE" and urls[0].get("InvokeMode", "BUFFERED") == "BUFFERED",
              "function URL: AuthType NONE (signatures checked in code), buffered")
    perms = [p["Properties"] for p in by_type.get("AWS::Lambda::Permission", {}).values()
             if ref_name(p["Properties"].get("FunctionName")) == "IngestFunction" and p["Properties"].get("Principal") == "*"]
    check(any(p.get("Action") == "lambda:InvokeFunctionUrl" and p.get("FunctionUrlAuthType") == "NONE" for p in perms),
          "ingest: public lambda:InvokeFunctionUrl (FunctionUrlAuthType NONE)")
    check(any(p.get("Action") == "lambda:InvokeFunction" and p.get("InvokedViaFunctionUrl") is True for p in perms),
          "ingest: public lambda:InvokeFunction only via the function URL")
    check(all(p.get("Action") != "lambda:InvokeFunction" or p.get("InvokedViaFunctionUrl") is True for p in perms),
          "ingest: no public Invoke outside the function URL")
    ingest = res.get("IngestFunction", {}).get("Properties", {})
    check("ReservedConcurrentExecutions" in json.dumps(ingest), "ingest: reserved concurrency (IngestReservedConcurrency)")
    check(not any(ref_name(p.get("FunctionName")) != "IngestFunction" and p.get("Principal") == "*"
                  for p in (q["Properties"] for q in by_type.get("AWS::Lambda::Permission", {}).values())),
          "no other function is public")

    section("trends: the posts table's stream")
    posts = next((r for r in res.values() if r["Type"] == "AWS::DynamoDB::Table"
                  and "-posts" in json.dumps(r["Properties"].get("TableName"))), {})
    check(posts.get("Properties", {}).get("StreamSpecification", {}).get("StreamViewType") == "NEW_IMAGE",
          "posts table: a NEW_IMAGE stream")
    maps = [m["Properties"] for m in by_type.get("AWS::Lambda::EventSourceMapping", {}).values()
            if ref_name(m["Properties"].get("FunctionName")) == "TrendsFunction"]
    if check(len(maps) == 1, "trends: one event source mapping"):
        m = maps[0]
        check("StreamArn" in json.dumps(m.get("EventSourceArn")), "trends: fed by the posts table's stream")
        check(m.get("ParallelizationFactor") == 1, "trends: one instance per shard (in order)")
        check("INSERT" in json.dumps(m.get("FilterCriteria")), "trends: new posts only (filter on INSERT)")

    section("HTTP API: routes and auth")
    apis = by_type.get("AWS::ApiGatewayV2::Api", {})
    check(len(apis) == 1, "one HTTP API")
    for lid, api in apis.items():
        body = api["Properties"].get("Body", {})
        paths = body.get("paths", {})
        routes = {(m, path): op for path, ops in paths.items() for m, op in ops.items()}
        for m, path in routes:
            check(path not in WEBHOOK_PATHS, f"route {m.upper()} {path}: webhooks are on the function URL, not the HTTP API")
        op = routes.get(("x-amazon-apigateway-any-method", "/v1/{proxy+}"))
        if check(op is not None, "route ANY /v1/{proxy+}"):
            check(op.get("security") == [{"CognitoJwt": []}], "route ANY /v1/{proxy+}: JWT authorizer")
        op = routes.get(("get", "/v1/openapi.json"))
        if check(op is not None, "route GET /v1/openapi.json"):
            check(op.get("security") in (None, [], [{"NONE": []}]), "route GET /v1/openapi.json: public")
        # The console's files: public (the page signs in, then calls /v1 with a token).
        for path in ["/console", "/console/{proxy+}"]:
            op = routes.get(("get", path))
            if check(op is not None, f"route GET {path}"):
                check(op.get("security") in (None, [], [{"NONE": []}]), f"route GET {path}: public")
        jwt = body.get("components", {}).get("securitySchemes", {}).get("CognitoJwt", {})
        cfg = jwt.get("x-amazon-apigateway-authorizer", {}).get("jwtConfiguration", {})
        check(ref_name((cfg.get("audience") or [None])[0]) == "UserPoolClient", "JWT audience = the user pool client")
        check("UserPool" in json.dumps(cfg.get("issuer")), "JWT issuer = the user pool")
    groups = {r["Properties"]["GroupName"] for r in by_type.get("AWS::Cognito::UserPoolGroup", {}).values()}
    check(groups == {"agents", "supervisors"}, f"Cognito groups {sorted(groups)}")

    section("schedule, topic, alarms, dashboard, outputs")
    rules = [r for r in by_type.get("AWS::Events::Rule", {}).values()
             if any(ref_name(t.get("Arn")) == "SlaFunction" for t in r["Properties"].get("Targets", []))]
    check(len(rules) == 1 and rules[0]["Properties"].get("ScheduleExpression") == "rate(1 minute)", "sla: rate(1 minute)")
    subs = by_type.get("AWS::SNS::Subscription", {})
    check(any(ref_name(s["Properties"].get("TopicArn")) == "AlertsTopic" and s.get("Condition") == "HasAlertEmail"
              and s["Properties"].get("Protocol") == "email" for s in subs.values()), "alerts topic: email subscription when AlertEmail is set")
    alarms = by_type.get("AWS::CloudWatch::Alarm", {}).values()
    alarm_dims = {(a["Properties"]["MetricName"], ref_name((a["Properties"].get("Dimensions") or [{}])[0].get("Value"))) for a in alarms}
    for lid, q in queues.items():
        metric = "ApproximateNumberOfMessagesVisible" if "-dlq" in json.dumps(q["Properties"]["QueueName"]) else "ApproximateAgeOfOldestMessage"
        check((metric, lid) in alarm_dims, f"alarm {metric} on {lid}")
    for lid in FUNCTIONS:
        check(("Errors", lid) in alarm_dims, f"alarm Errors on {lid}")
    check(any(a["Properties"]["MetricName"] == "SlaBreaches" for a in alarms), "alarm on SLA breaches")
    filters = [f["Properties"] for f in by_type.get("AWS::Logs::MetricFilter", {}).values()]
    check(any('"SLA alert"' in f["FilterPattern"] and f["MetricTransformations"][0]["MetricName"] == "SlaBreaches"
              and ref_name(f["LogGroupName"]) == "SlaLogGroup" for f in filters), "metric filter: SLA alert in the sla logs")
    check(len(by_type.get("AWS::CloudWatch::Dashboard", {})) == 1, "a dashboard")
    outs = cfn.get("Outputs", {})
    for o in ["WebhookUrl", "HttpApiUrl", "AlertsTopicArn", "UserPoolId", "UserPoolClientId"] + \
             [f"{t.capitalize()}TableName" for t in rust["tables"]] + [f"{s.capitalize()}QueueUrl" for s in TOPOLOGY]:
        check(o in outs, f"output {o}")
    params = sam.get("Parameters", {})
    check(params.get("Architecture", {}).get("Default") == "arm64"
          and sorted(params["Architecture"].get("AllowedValues", [])) == ["arm64", "x86_64"], "Architecture parameter")
    return {"tables": tables, "stream_queue": stream_queue}


# ------------------------------------------------------------------ moto deploy

def moto_checks(cfn: dict, rust: dict, bucket: str, key: str) -> None:
    import boto3
    from botocore.config import Config

    url = os.environ.get("SOCIALCARE_MOTO_URL")
    if not url:
        check(False, "SOCIALCARE_MOTO_URL is set (moto must be running: bash scripts/moto.sh start)")
        return
    kw = dict(endpoint_url=url, region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing",
              config=Config(retries={"max_attempts": 2}, connect_timeout=5, read_timeout=60))
    s3, cf, ddb, sqs, sns, lam = (boto3.client(s, **kw) for s in ("s3", "cloudformation", "dynamodb", "sqs", "sns", "lambda"))

    section(f"moto CloudFormation at {url}")
    s3.create_bucket(Bucket=bucket)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("bootstrap", "#!/bin/sh\necho not a real function\n")
    s3.put_object(Bucket=bucket, Key=key, Body=buf.getvalue())

    # moto 5.2.5 has no AWS::Lambda::Url (it skips the resource), and an output that reads an
    # attribute of a skipped resource fails the whole stack: such outputs are left out of the
    # deploy (the static checks above still require them in the template).
    unsupported = {lid for lid, r in cfn["Resources"].items() if r["Type"] in {"AWS::Lambda::Url"}}
    # A DynamoDB stream's event source mapping makes moto invoke the function inside each write
    # (and fail the write: it cannot encode binary attributes); AWS delivers the stream apart
    # from the write. The mapping is left out of the deploy (checked statically above).
    stream_maps = {lid for lid, r in cfn["Resources"].items() if r["Type"] == "AWS::Lambda::EventSourceMapping"
                   and "StreamArn" in json.dumps(r["Properties"].get("EventSourceArn"))}
    deployable = dict(cfn,
                      Resources={k: r for k, r in cfn["Resources"].items() if k not in stream_maps},
                      Outputs={k: o for k, o in cfn.get("Outputs", {}).items()
                               if not any(f'"{lid}"' in json.dumps(o.get("Value")) for lid in unsupported)})
    stack = f"socialcare-it-{uuid.uuid4().hex[:6]}"
    started = time.time()
    cf.create_stack(
        StackName=stack,
        TemplateBody=json.dumps(deployable),
        Parameters=[{"ParameterKey": "AlertEmail", "ParameterValue": "ops@example.com"},
                    {"ParameterKey": "Architecture", "ParameterValue": "x86_64"}],
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    status = "?"
    for _ in range(120):
        desc = cf.describe_stacks(StackName=stack)["Stacks"][0]
        status = desc["StackStatus"]
        if not status.endswith("IN_PROGRESS"):
            break
        time.sleep(0.5)
    print(f"  stack {stack}: {status} in {time.time() - started:.1f}s")
    if not check(status == "CREATE_COMPLETE", f"stack {stack} reaches CREATE_COMPLETE (got {status})"):
        for ev in cf.describe_stack_events(StackName=stack)["StackEvents"]:
            if "FAILED" in ev.get("ResourceStatus", ""):
                print(f"    {ev['LogicalResourceId']}: {ev.get('ResourceStatusReason')}")
        return
    outputs = {o["OutputKey"]: o["OutputValue"] for o in desc.get("Outputs", [])}
    prefix = outputs.get("TablePrefix", "")
    check(prefix == f"{stack}-", f"output TablePrefix = {stack}-")

    section("tables created by the stack")
    for name, spec in rust["tables"].items():
        out = f"{name.capitalize()}TableName"
        tname = outputs.get(out)
        if not check(tname == f"{prefix}{name}", f"output {out} = {prefix}{name} (got {tname})"):
            continue
        try:
            t = ddb.describe_table(TableName=tname)["Table"]
        except Exception as e:  # noqa: BLE001
            check(False, f"table {tname} exists ({e})")
            continue
        check(t["KeySchema"] == [{"AttributeName": rust["pk"], "KeyType": "HASH"}], f"{tname}: key {rust['pk']} HASH")
        got = {g["IndexName"]: tuple(k["AttributeName"] for k in g["KeySchema"]) for g in t.get("GlobalSecondaryIndexes", [])}
        check(got == spec["indexes"], f"{tname}: GSIs {got} == {spec['indexes']}")
        check(t.get("BillingModeSummary", {}).get("BillingMode", "PAY_PER_REQUEST") == "PAY_PER_REQUEST", f"{tname}: on-demand")
        # moto ignores TimeToLiveSpecification and PITR in CloudFormation: checked statically above.

    section("queues created by the stack")
    arns = {}
    for stream in TOPOLOGY:
        fifo = stream in rust["fifo"]
        sfx = ".fifo" if fifo else ""
        for kind, out, qname in (("main", f"{stream.capitalize()}QueueUrl", f"{prefix}{stream}{sfx}"),
                                 ("dlq", f"{stream.capitalize()}DeadLetterQueueUrl", f"{prefix}{stream}-dlq{sfx}")):
            qurl = outputs.get(out, "")
            if not check(qurl.endswith("/" + qname), f"output {out} names queue {qname} (got {qurl})"):
                continue
            try:
                a = sqs.get_queue_attributes(QueueUrl=qurl, AttributeNames=["All"])["Attributes"]
            except Exception as e:  # noqa: BLE001
                check(False, f"queue {qname} exists ({e})")
                continue
            arns[(stream, kind)] = a["QueueArn"]
            check((a.get("FifoQueue") == "true") == fifo, f"{qname}: FIFO = {fifo}")
            if kind == "main":
                if fifo:
                    check(a.get("ContentBasedDeduplication") == "false", f"{qname}: content-based dedup off")
                rp = json.loads(a.get("RedrivePolicy", "{}"))
                check(str(rp.get("maxReceiveCount")) == "5", f"{qname}: maxReceiveCount 5")
                check(int(a.get("VisibilityTimeout", 0)) >= 180, f"{qname}: visibility {a.get('VisibilityTimeout')}s")
        if (stream, "main") in arns and (stream, "dlq") in arns:
            a = sqs.get_queue_attributes(QueueUrl=outputs[f"{stream.capitalize()}QueueUrl"], AttributeNames=["RedrivePolicy"])
            rp = json.loads(a["Attributes"].get("RedrivePolicy", "{}"))
            check(rp.get("deadLetterTargetArn") == arns[(stream, "dlq")], f"{stream}: redrive target is its DLQ")

    section("topic and event source mappings")
    topic = outputs.get("AlertsTopicArn", "")
    try:
        sns.get_topic_attributes(TopicArn=topic)
        check(True, "alerts topic exists")
        # moto has no CloudFormation support for AWS::SNS::Subscription: checked statically above.
    except Exception as e:  # noqa: BLE001
        check(False, f"alerts topic {topic} exists ({e})")
    mappings = lam.list_event_source_mappings()["EventSourceMappings"]
    for stream, (_, consumer) in TOPOLOGY.items():
        fn = f"{stack}-{ {'ClassifyFunction': 'classify', 'ThreadFunction': 'thread', 'RouteFunction': 'route', 'OutboundFunction': 'outbound'}[consumer] }"
        arn = arns.get((stream, "main"))
        mine = [m for m in mappings if m.get("EventSourceArn") == arn]
        check(len(mine) == 1 and mine[0].get("FunctionArn", "").endswith(":function:" + fn),
              f"{stream}: one event source mapping to {fn}")

    # moto's event source mappings "invoke" on every SendMessage (a receive, a failed invoke
    # without Docker, the message made visible again): disabled, so that the queues behave as
    # plain queues for the redrive check below and for a pipeline run against this stack.
    for m in mappings:
        if m.get("EventSourceArn") in arns.values():
            lam.update_event_source_mapping(UUID=m["UUID"], Enabled=False)

    section("redrive: a message received 5 times lands in the DLQ")
    for stream in ("cases", "classified"):
        qurl, dlq = outputs.get(f"{stream.capitalize()}QueueUrl"), outputs.get(f"{stream.capitalize()}DeadLetterQueueUrl")
        if not (qurl and dlq):
            continue
        extra = {"MessageGroupId": "author-1", "MessageDeduplicationId": "poison-1"} if stream in rust["fifo"] else {}
        sqs.send_message(QueueUrl=qurl, MessageBody='{"poison":true}', **extra)
        receives = 0
        for _ in range(10):
            got = sqs.receive_message(QueueUrl=qurl, MaxNumberOfMessages=1, WaitTimeSeconds=0).get("Messages", [])
            if not got:
                break
            receives += 1
            sqs.change_message_visibility(QueueUrl=qurl, ReceiptHandle=got[0]["ReceiptHandle"], VisibilityTimeout=0)
        dead = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=1, WaitTimeSeconds=1).get("Messages", [])
        check(receives == 5 and len(dead) == 1, f"{stream}: received {receives} times, then in the DLQ ({len(dead)})")
        if dead:
            sqs.delete_message(QueueUrl=dlq, ReceiptHandle=dead[0]["ReceiptHandle"])

    env = {"AWS_ENDPOINT_URL": url, "AWS_REGION": REGION, "CARE_TABLE_PREFIX": prefix,
           "CARE_ALERTS_TOPIC_ARN": topic}
    for name, var in rust["table_env"].items():
        env[var] = outputs.get(f"{name.capitalize()}TableName", "")
    for stream in TOPOLOGY:
        # moto's CloudFormation gives AWS-style URLs; GetQueueUrl gives the endpoint's own.
        qurl = outputs.get(f"{stream.capitalize()}QueueUrl", "")
        try:
            qurl = sqs.get_queue_url(QueueName=qurl.rsplit("/", 1)[-1])["QueueUrl"]
        except Exception:  # noqa: BLE001
            pass
        env[rust["queue_env"](stream)] = qurl
    OUTPUTS_FILE.parent.mkdir(parents=True, exist_ok=True)
    OUTPUTS_FILE.write_text(json.dumps({"stack_name": stack, "endpoint": url, "region": REGION,
                                        "outputs": outputs, "env": env}, indent=2, sort_keys=True) + "\n")
    print(f"  outputs of {stack} written to {OUTPUTS_FILE.relative_to(ROOT) if OUTPUTS_FILE.is_relative_to(ROOT) else OUTPUTS_FILE}")


def main() -> int:
    import warnings

    warnings.filterwarnings("ignore")  # moto: "Tried to parse AWS::... but it's not supported"
    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    started = time.time()
    rust = rust_expectations()
    sam = load_template()
    bucket, key = "socialcare-infra-test", "code/bootstrap.zip"
    try:
        cfn = translate(sam, bucket, key)
    except Exception as e:  # noqa: BLE001
        print(f"  FAIL aws-sam-translator: {e}")
        for cause in getattr(e, "causes", []) or []:
            print(f"    {cause}")
        return 1
    check(True, "template translates")
    static_checks(sam, cfn, rust)
    if "--static-only" not in sys.argv:
        moto_checks(cfn, rust, bucket, key)
    took = time.time() - started
    if failures:
        print(f"infra consistency: {len(failures)} FAILED, {passed} passed ({took:.1f}s)")
        for f in failures:
            print(f"  - {f}")
        return 1
    print(f"infra consistency: all {passed} checks passed ({took:.1f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
