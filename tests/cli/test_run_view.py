"""``stepline run``'s three outputs: the live table on a terminal (rendered into a recording rich
Console that claims to be a terminal), plain lines when stdout is a pipe, JSON with --json."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest
from rich.console import Console

from stepline.cli import render
from stepline.cli.main import main

RETRIED = {"StartAt": "Prepare", "States": {
    "Prepare": {"Type": "Pass", "Result": {"who": "ada"}, "Next": "Call"},
    "Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
             "Parameters": {"FunctionName": "flaky", "Payload.$": "$"}, "OutputPath": "$.Payload",
             "Retry": [{"ErrorEquals": ["FirstTimeError"], "IntervalSeconds": 1, "MaxAttempts": 2}],
             "Next": "Done"},
    "Done": {"Type": "Succeed"}}}
FAILS = {"StartAt": "Greet", "States": {
    "Greet": {"Type": "Pass", "Next": "Boom"},
    "Boom": {"Type": "Fail", "Error": "Oops", "Cause": "on purpose"}}}
SLOW = {"StartAt": "Nap", "States": {"Nap": {"Type": "Wait", "Seconds": 3600, "End": True}}}
PASSES = {"StartAt": "Hello", "States": {
    "Hello": {"Type": "Pass", "Result": "world", "ResultPath": "$.hello", "End": True}}}
FLAKY = '''
import os
def flaky(event, context):
    marker = os.path.join(os.path.dirname(__file__), "called-once")
    if not os.path.exists(marker):
        open(marker, "w").close()
        raise type("FirstTimeError", (Exception,), {})("not yet")
    return {"hello": event["who"]}
'''


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name, doc in (("retried", RETRIED), ("fails", FAILS), ("passes", PASSES), ("slow", SLOW)):
        (tmp_path / f"{name}.json").write_text(json.dumps(doc))
    (tmp_path / "handlers").mkdir()
    (tmp_path / "handlers" / "flaky.py").write_text(FLAKY)
    (tmp_path / "stepline.toml").write_text('[functions.flaky]\nhandler = "flaky:flaky"\npath = "handlers"\n')
    return tmp_path


@pytest.fixture
def terminal(monkeypatch):
    """render.out replaced by a Console that is a terminal and records what it drew."""
    stream = io.StringIO()
    console = Console(file=stream, force_terminal=True, record=True, width=120, highlight=False,
                      color_system="standard")
    monkeypatch.setattr(render, "out", console)
    return console, stream


def _rows(text: str) -> dict[str, list[str]]:
    """The table's body rows by state name (box-drawing separators split the cells)."""
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.replace("┃", "│").split("│")[1:-1]]
        if len(cells) == 5 and cells[0] not in ("state", ""):
            rows[cells[0]] = cells[1:]
    return rows


def test_terminal_gets_a_live_table_with_status_duration_and_attempts(project, terminal):
    console, stream = terminal
    assert main(["run", "retried.json"]) == 0
    raw = stream.getvalue()
    assert "\x1b[2K" in raw and "\x1b[1A" in raw  # the table was erased and redrawn in place
    final = console.export_text()
    assert "→" not in final  # no line-per-event output on a terminal
    rows = _rows(final[final.rindex("┏"):])  # the last frame Live left on screen
    assert rows["Prepare"][:2] == ["Pass", "SUCCEEDED"] and rows["Prepare"][3] == ""
    assert rows["Call"][:2] == ["Task", "SUCCEEDED"] and rows["Call"][3] == "2"
    assert rows["Done"][:2] == ["Succeed", "SUCCEEDED"]
    assert float(rows["Call"][2].removesuffix(" s")) >= 1.0  # it waited out the retry interval
    assert "SUCCEEDED" in final and '"hello": "ada"' in final


def test_terminal_table_marks_the_failing_state(project, terminal):
    console, _ = terminal
    assert main(["run", "fails.json"]) == 1
    final = console.export_text()
    rows = _rows(final[final.rindex("┏"):])
    assert rows["Greet"][:2] == ["Pass", "SUCCEEDED"]
    assert rows["Boom"][:2] == ["Fail", "FAILED"]
    assert "Oops" in final and "on purpose" in final


def _stepline(*argv: str, cwd) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE")}
    return subprocess.run([sys.executable, "-m", "stepline", *argv], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=120)


def test_a_pipe_gets_plain_lines_without_terminal_codes(project):
    proc = _stepline("run", "fails.json", cwd=project)
    assert proc.returncode == 1, proc.stderr
    assert "\x1b" not in proc.stdout and "┏" not in proc.stdout
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("arn:aws:states:") and ":execution:fails:" in lines[0]
    assert "→ Greet (Pass)" in lines and "✓ Greet" in lines and "→ Boom (Fail)" in lines
    assert any(line.startswith("✗ ExecutionFailed Oops on purpose") for line in lines)
    assert "FAILED Oops" in lines


def test_json_on_a_pipe_is_only_the_execution_document(project):
    proc = _stepline("run", "passes.json", "--json", "--input", '{"a": 1}', cwd=project)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)  # nothing but the document
    assert doc["status"] == "SUCCEEDED" and json.loads(doc["output"]) == {"a": 1, "hello": "world"}
    assert doc["executionArn"].startswith("arn:aws:states:")


def test_json_wins_over_a_terminal(project, terminal, capsys):
    console, stream = terminal
    assert main(["run", "passes.json", "--json"]) == 0
    assert stream.getvalue() == ""
    assert json.loads(capsys.readouterr().out)["status"] == "SUCCEEDED"


def test_timeout_leaves_the_execution_running_and_says_where(project, terminal, capsys):
    console, _ = terminal
    assert main(["run", "slow.json", "--timeout", "0.3", "--name", "nap"]) == 1
    err = capsys.readouterr().err
    assert "still RUNNING after 0.3 s" in err and ":execution:slow:nap" in err
    rows = _rows(console.export_text())
    assert rows["Nap"][:2] == ["Wait", "RUNNING"]
    assert main(["executions", "show", err.split()[-1], "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "RUNNING"
