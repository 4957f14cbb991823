"""Robustness of the HTTP edge: whatever a client sends (bodies drawn from the botocore input shape
of every served operation with wrong types, missing members, out-of-range numbers, huge strings,
unknown members, nested garbage; bodies that are not JSON; unknown targets; odd headers), the
answer is an AWS error document with a status below 500, never a Python traceback."""

from __future__ import annotations

import json
import os
import re
import time
import uuid
from typing import Any

import api_fuzz_strategies as fz
import boto3
import httpx
import pytest
from botocore.config import Config as BotoConfig
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stepline.config import load_config
from stepline.server.apis import athena, glue, redshift_data, secretsmanager, ssm, stepfunctions
from stepline.server.app import create_app
from stepline.server.background import BackgroundServer

SERVICES = (stepfunctions, redshift_data, ssm, secretsmanager, glue, athena)
JSON_OPERATIONS = [(api, op) for api in SERVICES for op in api.OPERATIONS]
ROLE = "arn:aws:iam::123456789012:role/stepline"
# Python's own words in a message mean an exception escaped to the client.
PYTHON = re.compile(r"Traceback|File \"|\b(Key|Type|Attribute|Value|Index|Recursion|Name|ZeroDivision|Overflow|"
                    r"Assertion|UnicodeDecode|UnicodeEncode|JSONDecode|Lookup|Runtime|NotImplemented)Error\b|"
                    r"NoneType|object has no attribute|not subscriptable")
# Examples per test: 40 keep the module under 20 s (13 s on the 2-core dev machine); STEPLINE_FUZZ_EXAMPLES=500 digs deeper.
FUZZ = settings(max_examples=int(os.environ.get("STEPLINE_FUZZ_EXAMPLES", "40")), deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                       HealthCheck.data_too_large])

CONFIG = '''
[server]
region = "us-east-1"
account_id = "123456789012"

[functions.echo]
handler = "handlers:echo"
path = "."

[parameters."/app/name"]
value = "stepline"

[secrets.db-credentials]
value = '{"username": "u", "password": "p"}'

[crawlers.sales-crawler]
database = "fuzz_db"
s3_targets = ["s3://fuzz-bucket/sales/"]

[jobs.copy-sales]
source = "fuzz_db.sales"
target = "fuzz_db.sales_copy"
'''


class Served:
    def __init__(self, url: str, known: tuple[str, ...]) -> None:
        self.url = url
        self.known = known
        self.http = httpx.Client(base_url=url, timeout=60)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz")
    (root / "handlers.py").write_text("def echo(event, context):\n    return event\n")
    (root / "stepline.toml").write_text(CONFIG)
    config = load_config(root / "stepline.toml", data_dir=str(root / "data"))
    app = create_app(config)
    server = BackgroundServer(app)
    app.state.services.functions.endpoint_url = server.url
    server.start()
    try:
        def client(service: str) -> Any:
            return boto3.client(service, endpoint_url=server.url, region_name="us-east-1", aws_access_key_id="x",
                                aws_secret_access_key="y", config=BotoConfig(retries={"max_attempts": 1}))

        # Names and ids the server knows, so that drawn requests also reach existing resources.
        definition = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
        sfn = client("stepfunctions")
        machine = sfn.create_state_machine(name="fuzz", definition=definition, roleArn=ROLE,
                                           publish=True)["stateMachineArn"]
        execution = sfn.start_execution(stateMachineArn=machine)["executionArn"]
        statement = client("redshift-data").execute_statement(ClusterIdentifier="local", Database="dev",
                                                              DbUser="awsuser", Sql="select 1")["Id"]
        query = client("athena").start_query_execution(QueryString="select 1")["QueryExecutionId"]
        known = (machine, execution, f"{machine}:1", definition, ROLE, statement, query, "fuzz", "echo",
                 "/app/name", "db-credentials", "sales-crawler", "copy-sales", "fuzz_db", "sales", "select 1",
                 "dev", "local", "awsuser", "public")
        s = Served(server.url, known)
        yield s
        s.http.close()
    finally:
        server.stop()


def check_json_answer(response: httpx.Response) -> dict[str, Any]:
    """The response is AWS-shaped: below 500, a JSON object, and an error names its ``__type`` and
    ``message`` without Python internals."""
    text = response.text
    assert response.status_code < 500, f"{response.status_code}: {text[:2000]}"
    doc = json.loads(text)
    assert isinstance(doc, dict), text[:2000]
    if response.status_code >= 400:
        assert isinstance(doc.get("__type"), str) and doc["__type"], text[:2000]
        assert isinstance(doc.get("message"), str), text[:2000]
        assert not PYTHON.search(doc["message"]), doc["message"][:2000]
    return doc


def check_rest_answer(response: httpx.Response) -> None:
    """REST-JSON errors (Lambda, Athena's REST form): the code in ``x-amzn-ErrorType``, the text in
    the body's ``message``. (A path such as ``/query-executions/..`` reaches ``POST /``, whose errors
    name their code in ``__type``.)"""
    assert response.status_code < 500, f"{response.status_code}: {response.text[:2000]}"
    if response.status_code >= 400:
        doc = json.loads(response.text)
        assert response.headers.get("x-amzn-ErrorType") or doc.get("__type"), response.text[:2000]
        assert isinstance(doc.get("message"), str), response.text[:2000]
        assert not PYTHON.search(doc["message"]), doc["message"][:2000]


def post_json(served: Served, target: str, body: bytes, **headers: str) -> httpx.Response:
    return served.http.post("/", content=body, headers={"X-Amz-Target": target,
                                                        "Content-Type": "application/x-amz-json-1.1", **headers})


@pytest.mark.parametrize("api, operation", JSON_OPERATIONS, ids=[f"{a.MODEL}-{o}" for a, o in JSON_OPERATIONS])
def test_operation_bodies_from_the_model(served, api, operation):
    shape = fz.input_shape(api.MODEL, operation)

    @FUZZ
    @given(doc=fz.request(api.MODEL, shape, served.known))
    def run(doc):
        check_json_answer(post_json(served, f"{api.TARGET}.{operation}", fz.body_text(doc)))

    run()


@FUZZ
@given(target=st.sampled_from([f"{a.TARGET}.{o}" for a, o in JSON_OPERATIONS]), body=fz.raw_bodies)
def test_bodies_that_are_not_json_objects(served, target, body):
    check_json_answer(post_json(served, target, body))


operation_names = st.one_of(st.sampled_from(["", "_job", "job", "table", "database", "call", "__init__",
                                             "__class__", "op_call", "_StartCrawler", "startExecution",
                                             "GetParameter.", "DescribeExecution "]),
                            st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=20))


@FUZZ
@given(target=st.one_of(st.builds(lambda a, o: f"{a.TARGET}.{o}", st.sampled_from(SERVICES), operation_names),
                        st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40)),
       body=st.sampled_from([b"{}", b'{"name": "x"}', b'{"Name": "x", "JobName": "x", "DatabaseName": "x"}']))
def test_unknown_targets(served, target, body):
    check_json_answer(post_json(served, target, body) if target.strip() == target else served.http.post("/", content=body))


header_values = st.one_of(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=80).map(str.strip),
                          st.sampled_from(["AWS4-HMAC-SHA256", "AWS4-HMAC-SHA256 Credential=",
                                           "AWS4-HMAC-SHA256 Credential=a/b/c/d/aws4_request, SignedHeaders=, "
                                           "Signature=zz", "Bearer x", "application/json; charset=latin-9"]))


@FUZZ
@given(api_op=st.sampled_from(JSON_OPERATIONS),
       headers=st.dictionaries(st.sampled_from(["Authorization", "X-Amz-Date", "X-Amz-Security-Token",
                                                "Content-Type", "Content-Encoding", "X-Amz-Content-Sha256",
                                                "X-Amz-Client-Context", "Accept"]), header_values, max_size=4))
def test_odd_headers(served, api_op, headers):
    api, operation = api_op
    check_json_answer(post_json(served, f"{api.TARGET}.{operation}", b"{}", **headers))


@FUZZ
@given(name=st.one_of(st.sampled_from(["echo", "echo:$LATEST", "echo:1", "arn:aws:lambda:us-east-1:123456789012:"
                                       "function:echo", "arn:aws:lambda:us-east-1:123456789012:function:", ":", "%00",
                                       "%2F..%2F", "a" * 200]),
                      st.text(alphabet=st.characters(min_codepoint=48, max_codepoint=122), min_size=1, max_size=30)),
       qualifier=st.one_of(st.none(), st.sampled_from(["$LATEST", "1", "", "0", "-1", "x" * 200]), st.text(max_size=8)),
       invocation_type=st.one_of(st.none(), st.sampled_from(["RequestResponse", "Event", "DryRun", "", "x"])),
       log_type=st.one_of(st.none(), st.sampled_from(["Tail", "None", "", "Head"])),
       client_context=st.one_of(st.none(), st.sampled_from(["", "e30=", "!!!", "bnVsbA==", "WzFd", "eyJjdXN0b20iOjF9"])),
       payload=st.one_of(fz.raw_bodies, st.just(b'{"a": 1}')))
def test_lambda_invoke(served, name, qualifier, invocation_type, log_type, client_context, payload):
    headers = {k: v for k, v in (("X-Amz-Invocation-Type", invocation_type), ("X-Amz-Log-Type", log_type),
                                 ("X-Amz-Client-Context", client_context)) if v is not None}
    params = {"Qualifier": qualifier} if qualifier is not None else {}
    response = served.http.post(f"/2015-03-31/functions/{name}/invocations", content=payload, headers=headers,
                                params=params)
    check_rest_answer(response)


@FUZZ
@given(method=st.sampled_from(["GET", "POST"]),
       path=st.one_of(st.sampled_from(["/query-executions", "/query-executions/", "/query-executions/x",
                                       "/query-executions/x/results", "/query-executions/x/stop",
                                       "/query-executions/%00/results", "/query-executions//results"]),
                      st.text(alphabet="abc/-_%.", max_size=20).map(lambda p: "/query-executions/" + p)),
       params=st.dictionaries(st.sampled_from(["MaxResults", "NextToken", "QueryResultType", "x"]),
                              st.sampled_from(["", "0", "1", "-5", "1001", "abc", "99999999999999999999", "DATA_ROWS"]),
                              max_size=3),
       body=st.one_of(fz.raw_bodies, fz.structure("athena", "StartQueryExecutionInput")).map(
           lambda b: b if isinstance(b, bytes) else fz.body_text(b)))
def test_athena_rest_routes(served, method, path, params, body):
    response = served.http.request(method, path, params=params, content=body if method == "POST" else None)
    check_rest_answer(response)


# -- what the fuzzing found: each a 500 before ------------------------------------------------

def answer(served: Served, target: str, doc: Any) -> tuple[int, dict[str, Any]]:
    response = post_json(served, target, fz.body_text(doc) if not isinstance(doc, bytes) else doc)
    return response.status_code, check_json_answer(response)


def new_machine(served: Served) -> str:
    """A state machine of the test's own (the fuzzing above may have deleted the shared one)."""
    definition = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    status, created = answer(served, "AWSStepFunctions.CreateStateMachine",
                             {"name": f"m-{uuid.uuid4().hex[:12]}", "definition": definition, "roleArn": ROLE})
    assert status == 200, created
    return created["stateMachineArn"]


def test_a_glue_helper_is_not_an_operation(served):
    """``AWSGlue.job`` reached the edge's helper ``_job`` (getattr on "_" + operation)."""
    status, doc = answer(served, "AWSGlue.job", {"JobName": "copy-sales"})
    assert (status, doc["__type"]) == (400, "UnknownOperationException")


def test_wrong_types_are_serialization_errors(served):
    status, doc = answer(served, "AWSStepFunctions.ListStateMachines", {"maxResults": "ten"})
    assert (status, doc) == (400, {"__type": "SerializationException",
                                   "message": "STRING_VALUE can not be converted to an Integer"})
    status, doc = answer(served, "AmazonSSM.GetParameters", {"Names": "/app/name"})
    assert (status, doc["__type"]) == (400, "SerializationException")


def test_constraints_are_listed_as_aws_does(served):
    status, doc = answer(served, "AWSGlue.GetTable", {"DatabaseName": "", "Name": "t" * 256})
    assert (status, doc["__type"]) == (400, "ValidationException")
    assert doc["message"].startswith("2 validation errors detected: Value '' at 'databaseName' failed to satisfy "
                                     "constraint: Member must have length greater than or equal to 1; ")
    assert "at 'name' failed to satisfy constraint: Member must have length less than or equal to 255" in doc["message"]


def test_athena_validation_errors_are_invalid_request(served):
    status, doc = answer(served, "AmazonAthena.GetQueryResults", {"QueryExecutionId": "x", "MaxResults": 0})
    assert (status, doc["__type"]) == (400, "InvalidRequestException")
    assert "at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1" \
        in doc["message"]


def test_deeply_nested_body(served):
    status, doc = answer(served, "AWSStepFunctions.ListStateMachines", b"[" * 100_000 + b"]" * 100_000)
    assert (status, doc["__type"]) == (400, "SerializationException")


def test_deeply_nested_lambda_payload(served):
    for invocation_type in ("RequestResponse", "Event"):
        response = served.http.post("/2015-03-31/functions/echo/invocations", content=b"[" * 100_000 + b"]" * 100_000,
                                    headers={"X-Amz-Invocation-Type": invocation_type})
        check_rest_answer(response)
        assert (response.status_code, response.headers["x-amzn-ErrorType"]) == (400, "InvalidRequestContentException")


def test_unrouted_paths_are_aws_errors(served):
    response = served.http.post("/2015-03-31/functions/", content=b"{}")
    check_rest_answer(response)
    assert (response.status_code, response.headers["x-amzn-ErrorType"]) == (404, "UnknownOperationException")
    response = served.http.get("/")
    assert (response.status_code, response.json()["__type"]) == (405, "UnknownOperationException")


@pytest.mark.parametrize("target, member", [("AWSStepFunctions.SendTaskSuccess", "output"),
                                            ("AWSStepFunctions.TestState", "definition"),
                                            ("AWSStepFunctions.TestState", "input"),
                                            ("AWSStepFunctions.StartExecution", "input")])
@pytest.mark.parametrize("depth", [201, 5000])
def test_json_text_nested_too_deep(served, target, member, depth):
    """JSON text members nested deeper than the runtime walks: an invalid-input error, not a RecursionError
    (json.loads itself raises it beyond ~1000 levels; the interpreter and the history walk documents too)."""
    doc = {"taskToken": "t", "output": "{}", "definition": json.dumps({"Type": "Pass", "End": True}),
           "stateMachineArn": new_machine(served), member: "[" * depth + "]" * depth}
    shape = fz.model("stepfunctions")["shapes"][fz.input_shape("stepfunctions", target.split(".")[1])]
    status, answered = answer(served, target, {k: v for k, v in doc.items() if k in shape["members"]})
    assert status == 400 and "nested more than 200 levels deep" in answered["message"], answered


def test_json_text_at_the_depth_limit_runs(served):
    deep = "[" * 200 + "]" * 200
    status, started = answer(served, "AWSStepFunctions.StartExecution",
                             {"stateMachineArn": new_machine(served), "input": deep})
    assert status == 200
    for _ in range(600):
        status, described = answer(served, "AWSStepFunctions.DescribeExecution",
                                   {"executionArn": started["executionArn"]})
        if described["status"] != "RUNNING":
            break
        time.sleep(0.05)
    assert (described["status"], described["output"]) == ("SUCCEEDED", deep)
    status, tested = answer(served, "AWSStepFunctions.TestState",
                            {"definition": json.dumps({"Type": "Pass", "End": True}), "input": deep,
                             "roleArn": ROLE})
    assert (status, tested["status"], tested["output"]) == (200, "SUCCEEDED", deep)


def test_lone_surrogates_are_answered(served):
    """JSON may escape a lone surrogate; echoing it in a message must not break the encoding."""
    response = post_json(served, "RedshiftData.DescribeStatement", b'{"Id": "x", "\\ud800": 1}')
    assert response.status_code == 400
    assert json.loads(response.text)["__type"] == "ValidationException"


def test_athena_rest_query_members_are_typed(served):
    """Query-string members are text on the wire: numbers are read as their shape's type, then checked."""
    response = served.http.get("/query-executions/x/results", params={"MaxResults": "5000"})
    check_rest_answer(response)
    assert (response.status_code, response.headers["x-amzn-ErrorType"]) == (400, "InvalidRequestException")
    assert "Value '5000' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal " \
           "to 1000" in response.json()["message"]
    response = served.http.get("/query-executions/x/results", params={"MaxResults": "ten"})
    check_rest_answer(response)
    assert (response.status_code, response.headers["x-amzn-ErrorType"]) == (400, "SerializationException")
