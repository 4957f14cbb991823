"""State machine versions and aliases through unmodified boto3: publish, list, delete, aliases with
weighted routing, executions started through a version or an alias, and AWS's errors."""

from __future__ import annotations

import json
from dataclasses import replace

from e2e_helpers import ROLE, error_of, served, wait_done


def machine(tag: str) -> str:
    return json.dumps({"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": {"v": tag}, "End": True}}})


def test_publish_list_describe_and_delete_versions(sfn):
    created = sfn.create_state_machine(name="ver", definition=machine("one"), roleArn=ROLE, publish=True,
                                       versionDescription="first")
    arn = created["stateMachineArn"]
    assert created["stateMachineVersionArn"] == f"{arn}:1"
    v1 = sfn.describe_state_machine(stateMachineArn=f"{arn}:1")
    assert v1["stateMachineArn"] == f"{arn}:1" and v1["description"] == "first"
    assert json.loads(v1["definition"])["States"]["A"]["Result"] == {"v": "one"}
    assert "description" not in sfn.describe_state_machine(stateMachineArn=arn)

    # publishing an unchanged revision again gives the same version (idempotent)
    assert sfn.publish_state_machine_version(stateMachineArn=arn)["stateMachineVersionArn"] == f"{arn}:1"

    updated = sfn.update_state_machine(stateMachineArn=arn, definition=machine("two"))
    assert "stateMachineVersionArn" not in updated
    published = sfn.publish_state_machine_version(stateMachineArn=arn, revisionId=updated["revisionId"],
                                                  description="second")
    assert published["stateMachineVersionArn"] == f"{arn}:2"
    v2 = sfn.describe_state_machine(stateMachineArn=f"{arn}:2")
    assert v2["revisionId"] == updated["revisionId"] and v2["description"] == "second"
    # version 1 still runs its own definition
    assert json.loads(sfn.describe_state_machine(stateMachineArn=f"{arn}:1")["definition"]) == json.loads(machine("one"))

    listed = sfn.list_state_machine_versions(stateMachineArn=arn)["stateMachineVersions"]
    assert [v["stateMachineVersionArn"] for v in listed] == [f"{arn}:2", f"{arn}:1"]

    # a stale revision id is refused with AWS's message
    newer = sfn.update_state_machine(stateMachineArn=arn, definition=machine("three"))
    code, message = error_of(sfn.publish_state_machine_version, stateMachineArn=arn,
                             revisionId=updated["revisionId"])
    assert code == "ConflictException"
    assert message == (f"Failed to publish the State Machine version for revision {updated['revisionId']}. "
                       f"The current State Machine revision is {newer['revisionId']}.")

    # update with publish=true, then delete the newest: numbers are never reused
    third = sfn.update_state_machine(stateMachineArn=arn, definition=machine("four"), publish=True,
                                     versionDescription="via update")
    assert third["stateMachineVersionArn"] == f"{arn}:3"
    sfn.delete_state_machine_version(stateMachineVersionArn=f"{arn}:3")
    sfn.delete_state_machine_version(stateMachineVersionArn=f"{arn}:3")  # gone already: still succeeds
    code, _ = error_of(sfn.describe_state_machine, stateMachineArn=f"{arn}:3")
    assert code == "StateMachineDoesNotExist"
    sfn.update_state_machine(stateMachineArn=arn, definition=machine("five"))
    assert sfn.publish_state_machine_version(stateMachineArn=arn)["stateMachineVersionArn"] == f"{arn}:4"


def test_version_description_needs_publish(sfn):
    code, message = error_of(sfn.create_state_machine, name="nodesc", definition=machine("x"), roleArn=ROLE,
                             versionDescription="lonely")
    assert (code, message) == ("ValidationException", "Version description can only be set when publish is true")


def test_executions_of_a_version(sfn):
    arn = sfn.create_state_machine(name="runver", definition=machine("one"), roleArn=ROLE,
                                   publish=True)["stateMachineArn"]
    sfn.update_state_machine(stateMachineArn=arn, definition=machine("two"))
    through_version = sfn.start_execution(stateMachineArn=f"{arn}:1", name="by-version")["executionArn"]
    unversioned = sfn.start_execution(stateMachineArn=arn, name="plain")["executionArn"]
    done = wait_done(sfn, through_version)
    assert json.loads(done["output"]) == {"v": "one"}
    assert done["stateMachineArn"] == arn and done["stateMachineVersionArn"] == f"{arn}:1"
    assert "stateMachineAliasArn" not in done
    assert json.loads(wait_done(sfn, unversioned)["output"]) == {"v": "two"}
    started = sfn.get_execution_history(executionArn=through_version)["events"][0]
    assert started["executionStartedEventDetails"]["stateMachineVersionArn"] == f"{arn}:1"
    listed = sfn.list_executions(stateMachineArn=f"{arn}:1")["executions"]
    assert [e["executionArn"] for e in listed] == [through_version]
    assert {e["executionArn"] for e in sfn.list_executions(stateMachineArn=arn)["executions"]} == \
        {through_version, unversioned}


def test_alias_lifecycle_and_errors(sfn):
    arn = sfn.create_state_machine(name="ali", definition=machine("one"), roleArn=ROLE,
                                   publish=True)["stateMachineArn"]
    sfn.update_state_machine(stateMachineArn=arn, definition=machine("two"), publish=True)
    routing = [{"stateMachineVersionArn": f"{arn}:1", "weight": 100}]
    created = sfn.create_state_machine_alias(name="prod", description="live", routingConfiguration=routing)
    alias = created["stateMachineAliasArn"]
    assert alias == f"{arn}:prod"
    # same request again: the same alias; a different routing: a conflict
    assert sfn.create_state_machine_alias(name="prod", description="live",
                                          routingConfiguration=routing)["stateMachineAliasArn"] == alias
    code, message = error_of(sfn.create_state_machine_alias, name="prod",
                             routingConfiguration=[{"stateMachineVersionArn": f"{arn}:2", "weight": 100}])
    assert code == "ConflictException" and "different routing configuration" in message

    described = sfn.describe_state_machine_alias(stateMachineAliasArn=alias)
    assert described["name"] == "prod" and described["description"] == "live"
    assert described["routingConfiguration"] == routing

    sfn.update_state_machine_alias(stateMachineAliasArn=alias, routingConfiguration=[
        {"stateMachineVersionArn": f"{arn}:1", "weight": 50}, {"stateMachineVersionArn": f"{arn}:2", "weight": 50}])
    assert len(sfn.describe_state_machine_alias(stateMachineAliasArn=alias)["routingConfiguration"]) == 2
    assert [a["stateMachineAliasArn"] for a in sfn.list_state_machine_aliases(stateMachineArn=arn)[
        "stateMachineAliases"]] == [alias]

    code, message = error_of(sfn.delete_state_machine_version, stateMachineVersionArn=f"{arn}:1")
    assert code == "ConflictException"
    assert message == ("Version to be deleted must not be referenced by an alias. Current list of aliases "
                       "referencing this version: [prod]")

    for bad, expected in [
        ([{"stateMachineVersionArn": arn, "weight": 100}],
         f"Routing configuration must contain state machine version ARNs. Received: [{arn}]"),
        ([{"stateMachineVersionArn": f"{arn}:1", "weight": 50}, {"stateMachineVersionArn": f"{arn}:1", "weight": 50}],
         f"Routing configuration must contain distinct state machine version ARNs. Received: [{arn}:1, {arn}:1]"),
        ([{"stateMachineVersionArn": f"{arn}:1", "weight": 70}, {"stateMachineVersionArn": f"{arn}:2", "weight": 29}],
         "Sum of routing configuration weights must equal 100. Received: [70, 29]"),
    ]:
        assert error_of(sfn.create_state_machine_alias, name="bad", routingConfiguration=bad) == \
            ("ValidationException", expected)
    code, message = error_of(sfn.create_state_machine_alias, name="123", routingConfiguration=routing)
    assert code == "ValidationException" and "Member must satisfy regular expression pattern" in message
    code, _ = error_of(sfn.create_state_machine_alias, name="ghost",
                       routingConfiguration=[{"stateMachineVersionArn": f"{arn}:9", "weight": 100}])
    assert code == "ResourceNotFound"
    code, message = error_of(sfn.update_state_machine_alias, stateMachineAliasArn=f"{arn}:nope", description="x")
    assert (code, message) == ("ResourceNotFound", "Request references a resource that does not exist.")
    code, _ = error_of(sfn.start_execution, stateMachineArn=f"{arn}:nope")
    assert code == "StateMachineDoesNotExist"

    sfn.delete_state_machine_alias(stateMachineAliasArn=alias)
    sfn.delete_state_machine_alias(stateMachineAliasArn=alias)  # gone already: still succeeds
    assert sfn.list_state_machine_aliases(stateMachineArn=arn)["stateMachineAliases"] == []
    sfn.delete_state_machine_version(stateMachineVersionArn=f"{arn}:1")
    assert [v["stateMachineVersionArn"] for v in sfn.list_state_machine_versions(stateMachineArn=arn)[
        "stateMachineVersions"]] == [f"{arn}:2"]


def test_executions_through_an_alias_follow_its_weights(sfn):
    arn = sfn.create_state_machine(name="canary", definition=machine("one"), roleArn=ROLE,
                                   publish=True)["stateMachineArn"]
    sfn.update_state_machine(stateMachineArn=arn, definition=machine("two"), publish=True)
    alias = sfn.create_state_machine_alias(name="live", routingConfiguration=[
        {"stateMachineVersionArn": f"{arn}:1", "weight": 100}])["stateMachineAliasArn"]

    first = sfn.start_execution(stateMachineArn=alias, name="a0")["executionArn"]
    done = wait_done(sfn, first)
    assert json.loads(done["output"]) == {"v": "one"}
    assert done["stateMachineAliasArn"] == alias and done["stateMachineVersionArn"] == f"{arn}:1"
    details = sfn.get_execution_history(executionArn=first)["events"][0]["executionStartedEventDetails"]
    assert details["stateMachineAliasArn"] == alias and details["stateMachineVersionArn"] == f"{arn}:1"

    # a 50/50 split: over many executions both versions run, each as its description says
    sfn.update_state_machine_alias(stateMachineAliasArn=alias, routingConfiguration=[
        {"stateMachineVersionArn": f"{arn}:1", "weight": 50}, {"stateMachineVersionArn": f"{arn}:2", "weight": 50}])
    started = [sfn.start_execution(stateMachineArn=alias, name=f"s{i}")["executionArn"] for i in range(40)]
    by_version: dict[str, int] = {}
    for ex in started:
        d = wait_done(sfn, ex)
        expected = {"v": "one"} if d["stateMachineVersionArn"] == f"{arn}:1" else {"v": "two"}
        assert json.loads(d["output"]) == expected
        by_version[d["stateMachineVersionArn"]] = by_version.get(d["stateMachineVersionArn"], 0) + 1
    assert set(by_version) == {f"{arn}:1", f"{arn}:2"}

    # a 0/100 split sends everything to version 2
    sfn.update_state_machine_alias(stateMachineAliasArn=alias, routingConfiguration=[
        {"stateMachineVersionArn": f"{arn}:1", "weight": 0}, {"stateMachineVersionArn": f"{arn}:2", "weight": 100}])
    later = [sfn.start_execution(stateMachineArn=alias, name=f"t{i}")["executionArn"] for i in range(5)]
    assert {wait_done(sfn, ex)["stateMachineVersionArn"] for ex in later} == {f"{arn}:2"}

    through_alias = {e["executionArn"] for e in sfn.list_executions(stateMachineArn=alias)["executions"]}
    assert through_alias == {first, *started, *later}
    listed = sfn.list_executions(stateMachineArn=alias)["executions"]
    assert all(e["stateMachineAliasArn"] == alias for e in listed)


def test_start_sync_execution_through_an_alias(stepline_server, monkeypatch):
    monkeypatch.setenv("AWS_DISABLE_HOST_PREFIX_INJECTION", "true")  # read when the client is made
    sfn = stepline_server.client("stepfunctions")
    arn = sfn.create_state_machine(name="fast", type="EXPRESS", definition=machine("one"), roleArn=ROLE,
                                   publish=True)["stateMachineArn"]
    sfn.update_state_machine(stateMachineArn=arn, definition=machine("two"))
    alias = sfn.create_state_machine_alias(name="stable", routingConfiguration=[
        {"stateMachineVersionArn": f"{arn}:1", "weight": 100}])["stateMachineAliasArn"]
    r = sfn.start_sync_execution(stateMachineArn=alias)
    assert r["status"] == "SUCCEEDED" and json.loads(r["output"]) == {"v": "one"}
    assert json.loads(sfn.start_sync_execution(stateMachineArn=arn)["output"]) == {"v": "two"}


def test_deleting_the_machine_deletes_its_aliases(sfn):
    arn = sfn.create_state_machine(name="gone", definition=machine("one"), roleArn=ROLE,
                                   publish=True)["stateMachineArn"]
    alias = sfn.create_state_machine_alias(name="a", routingConfiguration=[
        {"stateMachineVersionArn": f"{arn}:1", "weight": 100}])["stateMachineAliasArn"]
    sfn.delete_state_machine(stateMachineArn=arn)
    assert error_of(sfn.describe_state_machine_alias, stateMachineAliasArn=alias)[0] == "ResourceNotFound"
    assert error_of(sfn.describe_state_machine, stateMachineArn=f"{arn}:1")[0] == "StateMachineDoesNotExist"


def test_versions_and_aliases_survive_a_restart(serve_project, tmp_path):
    config = replace(serve_project().config, data_dir=tmp_path / "restart-data")  # this test's own data dir
    with served(config) as sfn:
        arn, alias, ex = _versions_alias_and_execution(sfn)

    with served(config) as again:  # a new server on the same data directory
        assert again.describe_state_machine_alias(stateMachineAliasArn=alias)["routingConfiguration"] == [
            {"stateMachineVersionArn": f"{arn}:1", "weight": 100}]
        assert again.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "team", "value": "data"}]
        described = again.describe_execution(executionArn=ex)
        assert described["stateMachineAliasArn"] == alias and described["stateMachineVersionArn"] == f"{arn}:1"
        again.update_state_machine(stateMachineArn=arn, definition=machine("three"))
        # version 2 was deleted before the restart: its number is still not reused
        assert again.publish_state_machine_version(stateMachineArn=arn)["stateMachineVersionArn"] == f"{arn}:3"


def _versions_alias_and_execution(sfn) -> tuple[str, str, str]:
    arn = sfn.create_state_machine(name="durable", definition=machine("one"), roleArn=ROLE,
                                   publish=True, tags=[{"key": "team", "value": "data"}])["stateMachineArn"]
    sfn.update_state_machine(stateMachineArn=arn, definition=machine("two"), publish=True)
    sfn.delete_state_machine_version(stateMachineVersionArn=f"{arn}:2")
    alias = sfn.create_state_machine_alias(name="keep", routingConfiguration=[
        {"stateMachineVersionArn": f"{arn}:1", "weight": 100}])["stateMachineAliasArn"]
    ex = sfn.start_execution(stateMachineArn=alias, name="before")["executionArn"]
    wait_done(sfn, ex)
    return arn, alias, ex


def test_a_data_dir_from_before_aliases_is_migrated(tmp_path, serve_project):
    """control.sqlite written before the resources table and MachineRecord.next_version existed."""
    import sqlite3

    running = serve_project()  # only for its configuration; this test serves its own data dir
    config = running.config
    old_dir = tmp_path / "old-data"
    old_dir.mkdir()
    db = sqlite3.connect(old_dir / "control.sqlite")
    db.executescript("""
        create table machines (arn text primary key, record text not null);
        create table executions (arn text primary key, machine_arn text not null, status text not null,
            start_date real not null, parent_arn text, record text not null, snapshot text);
        create table events (arn text not null, id integer not null, body text not null,
            primary key (arn, id)) without rowid;
        create table snapshot_log (arn text not null, seq integer not null, entry text not null,
            primary key (arn, seq)) without rowid;
    """)
    arn = "arn:aws:states:us-east-1:123456789012:stateMachine:legacy"
    old_record = {"arn": arn, "name": "legacy", "definition": machine("old"), "role_arn": ROLE, "type": "STANDARD",
                  "creation_date": 1.0, "update_date": None, "revision_id": "r1", "description": "",
                  "logging": {"level": "OFF", "includeExecutionData": False}, "tracing": {"enabled": False},
                  "versions": [{"number": 1, "revisionId": "r1", "definition": machine("old"), "roleArn": ROLE,
                                "description": "", "creationDate": 1.0}]}
    db.execute("insert into machines values (?, ?)", (arn, json.dumps(old_record)))
    db.commit()
    db.close()

    with served(replace(config, data_dir=old_dir)) as sfn:
        assert [v["stateMachineVersionArn"] for v in sfn.list_state_machine_versions(stateMachineArn=arn)[
            "stateMachineVersions"]] == [f"{arn}:1"]
        alias = sfn.create_state_machine_alias(name="old", routingConfiguration=[
            {"stateMachineVersionArn": f"{arn}:1", "weight": 100}])["stateMachineAliasArn"]
        done = wait_done(sfn, sfn.start_execution(stateMachineArn=alias)["executionArn"])
        assert json.loads(done["output"]) == {"v": "old"}
        sfn.update_state_machine(stateMachineArn=arn, definition=machine("new"), publish=True)
        assert sfn.list_state_machine_versions(stateMachineArn=arn)["stateMachineVersions"][0][
            "stateMachineVersionArn"] == f"{arn}:2"


def test_a_nested_sync_execution_through_an_alias_names_version_and_alias(sfn):
    child = sfn.create_state_machine(name="kid", definition=machine("v1"), roleArn=ROLE, publish=True)
    alias = sfn.create_state_machine_alias(name="live", routingConfiguration=[
        {"stateMachineVersionArn": child["stateMachineVersionArn"], "weight": 100}])["stateMachineAliasArn"]
    parent = sfn.create_state_machine(name="mom", roleArn=ROLE, definition=json.dumps({
        "StartAt": "Run", "States": {"Run": {
            "Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
            "Parameters": {"StateMachineArn": alias, "Input": {}}, "End": True}}}))["stateMachineArn"]
    done = wait_done(sfn, sfn.start_execution(stateMachineArn=parent)["executionArn"])
    assert done["status"] == "SUCCEEDED", done
    output = json.loads(done["output"])
    assert output["StateMachineAliasArn"] == alias
    assert output["StateMachineVersionArn"] == child["stateMachineVersionArn"]
    assert output["Output"] == {"v": "v1"}
