"""Lambda Invoke's options through unmodified boto3 against ``stepline serve``: Qualifier ($LATEST,
versions, aliases), ClientContext, InvocationType Event/DryRun, LogType Tail, function errors, and
the same options on a ``lambda:invoke`` Task state (its output as Step Functions records it)."""

from __future__ import annotations

import base64
import json
import time

import pytest
from botocore.exceptions import ClientError
from e2e_helpers import ROLE

FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:ctx"
EXTRA = '''
[functions.ctx]
handler = "ctx_handlers:show"
path = "handlers"
versions = ["1", "2"]
aliases = { live = "2" }

[functions.noisy]
handler = "ctx_handlers:noisy"
path = "handlers"

[functions.marker]
handler = "ctx_handlers:marker"
path = "handlers"

[functions.fails]
handler = "ctx_handlers:fails"
path = "handlers"
'''
HANDLERS = '''
import os
from pathlib import Path

def show(event, context):
    cc = context.client_context
    return {"event": event, "version": context.function_version, "arn": context.invoked_function_arn,
            "env_version": os.environ["AWS_LAMBDA_FUNCTION_VERSION"],
            "client_context": None if cc is None else {
                "custom": cc.custom, "env": cc.env,
                "app_title": cc.client.app_title if cc.client else None,
                "installation_id": cc.client.installation_id if cc.client else None}}

def noisy(event, context):
    for i in range(400):
        print(f"line {i:04d} " + "x" * 40)
    print("the very end")
    return "done"

def marker(event, context):
    Path(event["path"]).write_text(event.get("text", "ran"))
    return "marked"

class Refused(Exception):
    pass

def fails(event, context):
    print("about to fail")
    raise Refused("no, " + context.function_version)
'''
CLIENT_CONTEXT = {"client": {"app_title": "stepline-tests", "installation_id": "inst-1"},
                  "custom": {"tenant": "acme"}, "env": {"platform": "linux"}}


def _b64(doc) -> str:
    return base64.b64encode(json.dumps(doc).encode()).decode()


@pytest.fixture
def server(serve_project):
    running = serve_project(EXTRA)
    (running.project / "handlers" / "ctx_handlers.py").write_text(HANDLERS)
    return running


def _invoke(lam, **kw):
    r = lam.invoke(**kw)
    body = r["Payload"].read()
    return r, (json.loads(body) if body else None)


def test_qualifier_latest_version_and_alias(server):
    lam = server.client("lambda")
    r, body = _invoke(lam, FunctionName="ctx", Payload=b'{"n": 1}')
    assert r["ExecutedVersion"] == "$LATEST" and body["version"] == "$LATEST" and body["arn"] == FUNCTION_ARN
    r, body = _invoke(lam, FunctionName="ctx", Qualifier="$LATEST", Payload=b"{}")
    assert r["ExecutedVersion"] == "$LATEST" and body["arn"] == FUNCTION_ARN + ":$LATEST"
    r, body = _invoke(lam, FunctionName="ctx", Qualifier="live", Payload=b"{}")
    assert r["ExecutedVersion"] == "2" and body["version"] == "2" and body["env_version"] == "2"
    assert body["arn"] == FUNCTION_ARN + ":live"
    r, body = _invoke(lam, FunctionName="ctx:1", Payload=b"{}")
    assert r["ExecutedVersion"] == "1" and body["arn"] == FUNCTION_ARN + ":1"
    r, body = _invoke(lam, FunctionName=FUNCTION_ARN + ":live", Payload=b"{}")
    assert r["ExecutedVersion"] == "2"
    r, body = _invoke(lam, FunctionName="ctx", Payload=b"{}")  # the pooled worker is back on $LATEST
    assert body["version"] == "$LATEST" and body["env_version"] == "$LATEST"


def test_unknown_qualifier_is_resource_not_found_in_lambdas_words(server):
    lam = server.client("lambda")
    for kw in ({"FunctionName": "ctx", "Qualifier": "staging"}, {"FunctionName": "ctx:7"},
               {"FunctionName": "ctx", "Qualifier": "staging", "InvocationType": "Event"}):
        with pytest.raises(ClientError) as e:
            lam.invoke(Payload=b"{}", **kw)
        qualifier = kw.get("Qualifier") or kw["FunctionName"].split(":")[1]
        assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
        assert e.value.response["Error"]["Message"] == f"Function not found: {FUNCTION_ARN}:{qualifier}"
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(ClientError) as e:
        lam.invoke(FunctionName="ctx:1", Qualifier="2", Payload=b"{}")
    assert e.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert "does not match the specified qualifier" in e.value.response["Error"]["Message"]


def test_client_context_reaches_the_handler(server):
    lam = server.client("lambda")
    _, body = _invoke(lam, FunctionName="ctx", ClientContext=_b64(CLIENT_CONTEXT), Payload=b"{}")
    assert body["client_context"] == {"custom": {"tenant": "acme"}, "env": {"platform": "linux"},
                                      "app_title": "stepline-tests", "installation_id": "inst-1"}
    _, body = _invoke(lam, FunctionName="ctx", Payload=b"{}")
    assert body["client_context"] is None
    for bad in ("not base64!", base64.b64encode(b"[1, 2]").decode()):
        with pytest.raises(ClientError) as e:
            lam.invoke(FunctionName="ctx", ClientContext=bad, Payload=b"{}")
        assert e.value.response["Error"]["Code"] == "InvalidRequestContentException"
        assert e.value.response["Error"]["Message"] == "Client context must be a valid Base64-encoded JSON object."
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_event_runs_later_and_dry_run_never_runs(server, tmp_path):
    lam = server.client("lambda")
    dry = tmp_path / "dry-run"
    r, body = _invoke(lam, FunctionName="marker", InvocationType="DryRun", Payload=json.dumps({"path": str(dry)}))
    assert r["StatusCode"] == 204 and body is None
    event = tmp_path / "event"
    r, body = _invoke(lam, FunctionName="marker", InvocationType="Event",
                      Payload=json.dumps({"path": str(event), "text": "async"}))
    assert r["StatusCode"] == 202 and body is None
    for _ in range(600):  # the handler runs on its own; wait for its side effect
        if event.exists() and event.read_text() == "async":
            break
        time.sleep(0.05)
    assert event.read_text() == "async"
    with pytest.raises(ClientError) as e:
        lam.invoke(FunctionName="marker", InvocationType="Event", Payload=b"{not json")
    assert e.value.response["Error"]["Code"] == "InvalidRequestContentException"
    # a synchronous call after both: the DryRun left nothing behind
    _invoke(lam, FunctionName="marker", Payload=json.dumps({"path": str(tmp_path / "sync")}))
    assert (tmp_path / "sync").exists() and not dry.exists()


def test_log_tail_is_the_last_4_kb_of_the_log(server):
    lam = server.client("lambda")
    r, body = _invoke(lam, FunctionName="noisy", LogType="Tail", Payload=b"{}")
    assert body == "done"
    log = base64.b64decode(r["LogResult"])
    assert len(log) == 4096
    text = log.decode()
    assert "the very end\nEND RequestId: " in text and text.rstrip().split("\n")[-1].startswith("REPORT RequestId: ")
    assert "line 0000" not in text and "line 0399" in text
    assert "LogResult" not in lam.invoke(FunctionName="noisy", Payload=b"{}")


def test_function_error_header_with_the_error_document(server):
    r, body = _invoke(server.client("lambda"), FunctionName="fails", LogType="Tail", Payload=b"{}")
    assert r["StatusCode"] == 200 and r["FunctionError"] == "Unhandled"
    assert r["ResponseMetadata"]["HTTPHeaders"]["x-amz-function-error"] == "Unhandled"
    assert body["errorType"] == "Refused" and body["errorMessage"] == "no, $LATEST"
    assert "about to fail" in base64.b64decode(r["LogResult"]).decode()


def _run(sfn, name: str, definition: dict, payload: dict | None = None) -> tuple[dict, list[dict]]:
    arn = sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE)["stateMachineArn"]
    ex = sfn.start_execution(stateMachineArn=arn, input=json.dumps(payload or {}))["executionArn"]
    for _ in range(1200):
        described = sfn.describe_execution(executionArn=ex)
        if described["status"] != "RUNNING":
            break
        time.sleep(0.05)
    return described, sfn.get_execution_history(executionArn=ex, maxResults=1000)["events"]


def test_lambda_invoke_task_passes_the_options_and_records_the_invoke_response(server):
    sfn = server.client("stepfunctions")
    definition = {"StartAt": "Call", "States": {
        "Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                 "Parameters": {"FunctionName": "ctx", "Qualifier": "live", "LogType": "Tail",
                                "ClientContext": _b64(CLIENT_CONTEXT), "Payload": {"who.$": "$.who"}},
                 "ResultPath": "$.call", "Next": "Fire"},
        "Fire": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                 "Parameters": {"FunctionName": FUNCTION_ARN + ":1", "InvocationType": "Event", "Payload": {}},
                 "ResultPath": "$.fire", "Next": "Missing"},
        "Missing": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                    "Parameters": {"FunctionName": "ctx", "Qualifier": "staging"},
                    "Catch": [{"ErrorEquals": ["Lambda.ResourceNotFoundException"], "ResultPath": "$.missing",
                               "Next": "Done"}], "End": True},
        "Done": {"Type": "Succeed"}}}
    described, _ = _run(sfn, "invoke-options", definition, {"who": "ada"})
    assert described["status"] == "SUCCEEDED", described
    out = json.loads(described["output"])
    call = out["call"]
    assert set(call) == {"ExecutedVersion", "LogResult", "Payload", "SdkHttpMetadata", "SdkResponseMetadata",
                         "StatusCode"}
    assert call["StatusCode"] == 200 and call["ExecutedVersion"] == "2"
    assert call["Payload"]["event"] == {"who": "ada"} and call["Payload"]["arn"] == FUNCTION_ARN + ":live"
    assert call["Payload"]["client_context"]["custom"] == {"tenant": "acme"}
    meta = call["SdkHttpMetadata"]
    assert meta["HttpStatusCode"] == 200
    assert set(meta["HttpHeaders"]) == {"Connection", "Content-Length", "Content-Type", "Date", "X-Amz-Executed-Version",
                                        "X-Amz-Log-Result", "x-amzn-Remapped-Content-Length", "x-amzn-RequestId",
                                        "X-Amzn-Trace-Id"}
    assert meta["AllHttpHeaders"] == {k: [v] for k, v in meta["HttpHeaders"].items()}
    assert meta["HttpHeaders"]["X-Amz-Executed-Version"] == "2"
    assert meta["HttpHeaders"]["X-Amz-Log-Result"] == call["LogResult"]
    assert call["SdkResponseMetadata"]["RequestId"] == meta["HttpHeaders"]["x-amzn-RequestId"]
    assert "START RequestId: " in base64.b64decode(call["LogResult"]).decode()
    fire = out["fire"]
    assert fire["StatusCode"] == 202 and fire["Payload"] == "" and "ExecutedVersion" not in fire
    assert fire["SdkHttpMetadata"]["HttpStatusCode"] == 202
    assert out["missing"]["Error"] == "Lambda.ResourceNotFoundException"
    assert f"Function not found: {FUNCTION_ARN}:staging" in out["missing"]["Cause"]


def test_lambda_invoke_task_function_error_and_dry_run(server):
    sfn = server.client("stepfunctions")
    definition = {"StartAt": "Dry", "States": {
        "Dry": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "fails", "InvocationType": "DryRun"}, "ResultPath": "$.dry",
                "Next": "Fail"},
        "Fail": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                 "Parameters": {"FunctionName": "fails", "Payload": {}}, "End": True}}}
    described, events = _run(sfn, "invoke-errors", definition)
    assert described["status"] == "FAILED" and described["error"] == "Refused"
    assert json.loads(described["cause"])["errorMessage"] == "no, $LATEST"
    dry = json.loads(next(e for e in events if e["type"] == "TaskSucceeded")["taskSucceededEventDetails"]["output"])
    assert dry["StatusCode"] == 204 and dry["SdkHttpMetadata"]["HttpStatusCode"] == 204
