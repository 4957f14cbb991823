"""Distributed Maps reading the data directory's lake through the real runtime (build_runtime,
engine, stores): ItemReader over a CSV object and a listObjectsV2 prefix, ResultWriter files."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from runtime_helpers import create

PROCESSOR = {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
             "StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}


def lake_file(runtime, bucket: str, key: str, body: str) -> Path:
    path = Path(runtime.service.config.data_dir) / "lake" / bucket / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body)
    return path


def map_machine(reader: dict, **fields) -> dict:
    return {"StartAt": "Rows", "States": {"Rows": {
        "Type": "Map", "ItemReader": reader, "ItemProcessor": PROCESSOR, "End": True, **fields}}}


def execute(runtime, name: str, definition: dict, input: dict) -> tuple:
    arn = create(runtime, name, definition)
    ex = runtime.api.call("StartExecution", {"stateMachineArn": arn, "input": json.dumps(input)})["executionArn"]
    record = runtime.run_until_complete(ex, timeout=60)
    events = runtime.api.call("GetExecutionHistory", {"executionArn": ex})["events"]
    return record, events


def test_distributed_map_over_a_csv_object(runtime):
    lake_file(runtime, "sales", "2024/orders.csv", "order_id,amount\n1,10.5\n2,3\n3,7\n")
    reader = {"Resource": "arn:aws:states:::s3:getObject",
              "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW", "MaxItemsPath": "$.limit"},
              "Parameters": {"Bucket.$": "$.bucket", "Key.$": "$.key"}}
    definition = map_machine(reader, ItemSelector={"id.$": "$$.Map.Item.Value.order_id",
                                                   "amount.$": "States.StringToJson($$.Map.Item.Value.amount)"})
    record, events = execute(runtime, "csv-map", definition, {"bucket": "sales", "key": "2024/orders.csv", "limit": 2})
    assert record.status == "SUCCEEDED", (record.error, record.cause)
    assert json.loads(record.output) == [{"id": "1", "amount": 10.5}, {"id": "2", "amount": 3}]
    assert [e["type"] for e in events] == ["ExecutionStarted", "MapStateEntered", "MapStateStarted", "MapRunStarted",
                                           "MapRunSucceeded", "MapStateSucceeded", "MapStateExited",
                                           "ExecutionSucceeded"]
    assert ":mapRun:csv-map/" in events[3]["mapRunStartedEventDetails"]["mapRunArn"]


def test_distributed_map_over_a_list_objects_v2_prefix(runtime):
    for key, body in (("raw/b.json", "[2]"), ("raw/a.json", "[1]"), ("raw/deep/c.json", "[3, 3]"),
                      ("rawer.json", "[]"), ("other/d.json", "[4]")):
        lake_file(runtime, "inbox", key, body)
    reader = {"Resource": "arn:aws:states:::s3:listObjectsV2", "Parameters": {"Bucket": "inbox", "Prefix.$": "$.prefix"}}
    record, _ = execute(runtime, "list-map", map_machine(reader), {"prefix": "raw/"})
    assert record.status == "SUCCEEDED", (record.error, record.cause)
    items = json.loads(record.output)
    assert [(i["Key"], i["Size"]) for i in items] == [("raw/a.json", 3), ("raw/b.json", 3), ("raw/deep/c.json", 6)]
    assert items[0]["Etag"] == '"' + hashlib.md5(b"[1]").hexdigest() + '"' and items[0]["StorageClass"] == "STANDARD"
    flatten = {**reader, "ReaderConfig": {"InputType": "JSON", "Transformation": "LOAD_AND_FLATTEN"}}
    record, _ = execute(runtime, "flatten-map", map_machine(flatten), {"prefix": "raw"})
    assert json.loads(record.output) == [1, 2, 3, 3]  # rawer.json holds no items


def test_missing_object_fails_the_map_run(runtime):
    lake_file(runtime, "sales", "present.csv", "a\n1\n")
    reader = {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
              "Parameters": {"Bucket": "sales", "Key": "absent.csv"}}
    record, events = execute(runtime, "missing", map_machine(reader), {})
    assert (record.status, record.error) == ("FAILED", "States.ItemReaderFailed")
    assert "The specified key does not exist" in record.cause
    assert [e["type"] for e in events][-3:] == ["MapRunFailed", "MapStateFailed", "ExecutionFailed"]


def test_result_writer_puts_its_files_in_the_lake(runtime):
    lake_file(runtime, "sales", "orders.jsonl", '{"id": 1}\n{"id": 2}\n')
    (Path(runtime.service.config.data_dir) / "lake" / "results").mkdir(parents=True)
    reader = {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "JSONL"},
              "Parameters": {"Bucket": "sales", "Key": "orders.jsonl"}}
    writer = {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "results", "Prefix": "runs"}}
    record, _ = execute(runtime, "writer", map_machine(reader, ResultWriter=writer), {})
    assert record.status == "SUCCEEDED", (record.error, record.cause)
    details = json.loads(record.output)["ResultWriterDetails"]
    lake = Path(runtime.service.config.data_dir) / "lake"
    manifest = json.loads((lake / details["Bucket"] / details["Key"]).read_text())
    [result_file] = manifest["ResultFiles"]["SUCCEEDED"]
    rows = json.loads((lake / "results" / result_file["Key"]).read_text())
    assert [json.loads(r["Output"]) for r in rows] == [{"id": 1}, {"id": 2}]
    assert result_file["Size"] == (lake / "results" / result_file["Key"]).stat().st_size
