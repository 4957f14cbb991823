"""``stepline executions show`` names the parent of a nested execution (from the child's
AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID input) after real embedded runs."""

from __future__ import annotations

import json

from stepline.cli.main import main

CHILD = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
PARENT = {"StartAt": "Nest", "States": {"Nest": {
    "Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2", "End": True,
    "Parameters": {"StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:child",
                   "Input": {"AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$": "$$.Execution.Id", "k": 1}}}}}


def test_show_names_the_parent_of_a_nested_execution(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "child.json").write_text(json.dumps(CHILD))
    (tmp_path / "parent.json").write_text(json.dumps(PARENT))
    assert main(["run", "child.json", "--name", "alone"]) == 0
    assert main(["run", "parent.json", "--json"]) == 0
    capsys.readouterr()
    assert main(["run", "parent.json", "--json", "--name", "second"]) == 0
    parent = json.loads(capsys.readouterr().out)
    child_arn = json.loads(parent["output"])["ExecutionArn"]
    assert main(["executions", "show", child_arn]) == 0
    shown = capsys.readouterr().out
    assert "Started by" in shown and parent["executionArn"] in shown.replace("\n", "").replace("│", "").replace(" ", "")
    alone = child_arn.rsplit(":", 1)[0] + ":alone"
    assert main(["executions", "show", alone]) == 0
    assert "Started by" not in capsys.readouterr().out
