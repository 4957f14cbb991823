"""The ``stepline`` command in-process (``main(argv)``), plus one real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from stepline.cli.main import main

PASSES = {"StartAt": "Hello", "States": {
    "Hello": {"Type": "Pass", "Result": "world", "ResultPath": "$.hello", "Next": "Done"},
    "Done": {"Type": "Succeed"}}}
FAILS = {"StartAt": "Boom", "States": {"Boom": {"Type": "Fail", "Error": "Oops", "Cause": "on purpose"}}}
LAMBDA = {"StartAt": "Call", "States": {"Call": {
    "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
    "Parameters": {"FunctionName": "greet", "Payload.$": "$"}, "OutputPath": "$.Payload", "End": True}}}
HANDLER = '''
import os
def greet(event, context):
    print("greeting", event["who"])
    return {"greeting": "hello " + event["who"], "endpoint_set": bool(os.environ.get("AWS_ENDPOINT_URL"))}
'''


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name, doc in (("passes", PASSES), ("fails", FAILS), ("calls_lambda", LAMBDA)):
        (tmp_path / f"{name}.json").write_text(json.dumps(doc))
    (tmp_path / "handlers").mkdir()
    (tmp_path / "handlers" / "greet.py").write_text(HANDLER)
    (tmp_path / "stepline.toml").write_text('[functions.greet]\nhandler = "greet:greet"\npath = "handlers"\n')
    return tmp_path


def test_init_scaffolds_and_refuses_to_overwrite(tmp_path, capsys):
    assert main(["init", str(tmp_path / "p")]) == 0
    assert (tmp_path / "p" / "stepline.toml").exists() and (tmp_path / "p" / "handlers" / "summarize.py").exists()
    workflow = json.loads((tmp_path / "p" / "workflows" / "daily_sales.asl.json").read_text())
    assert "redshiftdata" in json.dumps(workflow)
    assert main(["init", str(tmp_path / "p")]) == 2
    assert "--force" in capsys.readouterr().err


def test_validate_ok_errors_and_json(workdir, capsys):
    assert main(["validate", "passes.json"]) == 0
    (workdir / "bad.json").write_text('{"StartAt": "Nowhere", "States": {}}')
    assert main(["validate", "bad.json"]) == 1
    capsys.readouterr()
    assert main(["validate", "bad.json", "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["result"] == "FAIL" and doc["diagnostics"][0]["severity"] == "ERROR"


def test_usage_errors_exit_2(workdir, capsys):
    assert main(["validate", "missing.json"]) == 2
    assert "file not found: missing.json" in capsys.readouterr().err
    assert main(["run", "passes.json", "--input", "{nope"]) == 2
    assert "--input is not valid JSON" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        main(["no-such-command"])
    assert e.value.code == 2


def test_run_succeeds_with_live_view_and_output(workdir, capsys):
    assert main(["run", "passes.json", "--input", '{"a": 1}', "--name", "first"]) == 0
    out = capsys.readouterr().out
    assert "→ Hello" in out and "✓ Hello" in out and "SUCCEEDED" in out and '"world"' in out


def test_run_json_and_failure_exit_code(workdir, capsys):
    assert main(["run", "fails.json", "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["status"] == "FAILED" and doc["error"] == "Oops" and doc["cause"] == "on purpose"


def test_run_with_lambda_task_starts_an_in_process_server(workdir, capsys):
    assert main(["run", "calls_lambda.json", "--input", '{"who": "ada"}', "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert json.loads(doc["output"]) == {"greeting": "hello ada", "endpoint_set": True}


def test_executions_list_show_history_read_the_data_directory(workdir, capsys):
    assert main(["run", "passes.json", "--name", "kept"]) == 0
    capsys.readouterr()
    assert main(["executions", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["name"], r["status"]) for r in rows] == [("kept", "SUCCEEDED")]
    arn = rows[0]["executionArn"]
    assert main(["executions", "show", arn, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "SUCCEEDED"
    assert main(["executions", "history", arn, "--json"]) == 0
    events = json.loads(capsys.readouterr().out)
    assert events[0]["type"] == "ExecutionStarted" and events[-1]["type"] == "ExecutionSucceeded"
    assert main(["executions", "show", arn.replace("kept", "other")]) == 1
    assert "ExecutionDoesNotExist" in capsys.readouterr().err


def test_subprocess_errors_have_no_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "stepline", "run", "nope.json"], capture_output=True, text=True,
                          cwd=tmp_path, timeout=60)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "nope.json" in proc.stderr


def test_sql_and_statements_through_the_data_directory(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["sql", "create table t (a int, b varchar(8))"]) == 0
    assert capsys.readouterr().out.strip() == "FINISHED"  # DDL has no row count
    assert main(["sql", "insert into t values (1, 'x'), (2, null)"]) == 0
    assert capsys.readouterr().out.strip() == "FINISHED: 2 row(s) affected"
    assert main(["sql", "select a, b from t order by a", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["columns"] == ["a", "b"] and doc["rows"] == [[1, "x"], [2, None]]
    assert main(["sql", "select * from missing_table"]) == 1
    assert "missing_table" in capsys.readouterr().err
    assert main(["statements", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {s["Status"] for s in listed} == {"FINISHED", "FAILED"} and len(listed) == 4
    assert main(["statements", "show", listed[0]["Id"], "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["Id"] == listed[0]["Id"]


def test_init_then_run_the_sample_workflow(tmp_path, monkeypatch, capsys):
    assert main(["init", str(tmp_path / "demo")]) == 0
    monkeypatch.chdir(tmp_path / "demo")
    capsys.readouterr()
    assert main(["run", "workflows/daily_sales.asl.json", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["status"] == "SUCCEEDED" and json.loads(doc["output"]) == {"regions": 2, "total": 230}


def test_help_lists_every_command_group(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    for command in ("init", "serve", "run", "validate", "sql", "executions", "statements", "demo"):
        assert command in out
