"""Distributed Map ItemReader / ResultWriter through the pure interpreter (run_to_completion serves
the reads from a mapping or a lake directory).

Expected histories and items follow AWS-recorded executions (the LocalStack Step Functions
snapshot suite, tests/aws/services/stepfunctions/v2/scenarios/test_base_scenarios.snapshot.json,
recorded against AWS) and https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itemreader.html
"""

from __future__ import annotations

import copy
import gzip
import hashlib
import io
import json

import pytest

from stepline.asl import commands as C
from stepline.asl import load
from stepline.asl.interpreter import Execution
from stepline.runtime.integrations.item_reader import NO_SUCH_KEY, MemoryObjects, answer
from stepline.testing import DEFAULT_CONTEXT, run_to_completion

CSV = "Col1,Col2,Col3\nValue1,Value2,Value3\nValue4,Value5,Value6\n,,,\ntrue,1,'HelloWorld'\nNull,None,\n   \n"
PASS = {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
        "StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}


def machine(reader: dict, **fields) -> dict:
    state = {"Type": "Map", "MaxConcurrency": 1, "ItemReader": reader, "ItemProcessor": copy.deepcopy(PASS),
             "End": True, **fields}
    return {"StartAt": "MapState", "States": {"MapState": state}}


def get_object(config: dict, **extra) -> dict:
    return {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": config,
            "Parameters": {"Bucket.$": "$.Bucket", "Key.$": "$.Key"}, **extra}


def run(definition: dict, objects, key: str = "file.csv", **kw):
    return run_to_completion(definition, {"Bucket": "bucket-name", "Key": key}, objects=objects, **kw)


def shape(history: list[dict]) -> list[list]:
    return [[e["id"], e["previousEventId"], e["type"]] for e in history]


# MapStateExited points to MapRunStarted, as AWS records it since late 2024 (earlier: MapRunSucceeded)
SUCCEEDED_SHAPE = [[1, 0, "ExecutionStarted"], [2, 0, "MapStateEntered"], [3, 2, "MapStateStarted"],
                   [4, 3, "MapRunStarted"], [5, 4, "MapRunSucceeded"], [6, 5, "MapStateSucceeded"],
                   [7, 4, "MapStateExited"], [8, 7, "ExecutionSucceeded"]]
FAILED_SHAPE = [[1, 0, "ExecutionStarted"], [2, 0, "MapStateEntered"], [3, 2, "MapStateStarted"],
                [4, 3, "MapRunStarted"], [5, 4, "MapRunFailed"], [6, 5, "MapStateFailed"],
                [7, 6, "ExecutionFailed"]]


def test_csv_first_row_history_and_items_as_aws_records_them():
    out = run(machine(get_object({"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"})),
              {"bucket-name/file.csv": CSV})
    assert out.status == "SUCCEEDED"
    assert shape(out.history) == SUCCEEDED_SHAPE
    assert out.history[2]["mapStateStartedEventDetails"] == {"length": 0}
    assert out.result == [
        {"Col1": "Value1", "Col2": "Value2", "Col3": "Value3"}, {"Col1": "Value4", "Col2": "Value5", "Col3": "Value6"},
        {"Col1": "", "Col2": "", "Col3": ""}, {"Col1": "true", "Col2": "1", "Col3": "'HelloWorld'"},
        {"Col1": "Null", "Col2": "None", "Col3": ""}, {"Col1": "   ", "Col2": "", "Col3": ""}]


def test_csv_given_headers_drop_extra_fields_and_first_row_keeps_an_empty_header():
    given = run(machine(get_object({"InputType": "CSV", "CSVHeaderLocation": "GIVEN", "CSVHeaders": ["H1"]})),
                {"bucket-name/file.csv": CSV.split("\n", 1)[1]})
    assert given.result == [{"H1": "Value1"}, {"H1": "Value4"}, {"H1": ""}, {"H1": "true"}, {"H1": "Null"},
                            {"H1": "   "}]
    first = run(machine(get_object({"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"})),
                {"bucket-name/file.csv": "H1,\nValue4,Value5,Value6\n,,,\ntrue,1,'HelloWorld'\n"})
    assert first.result == [{"H1": "Value4", "": "Value5"}, {"H1": "", "": ""}, {"H1": "true", "": "1"}]


def test_csv_item_fields_come_in_java_hash_map_order():
    # AWS-recorded: headers "0,True,{}" give items ordered 0, {}, True; headers "H1," give "", H1
    typed = run(machine(get_object({"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"})),
                {"bucket-name/file.csv": "0,True,{}\nValue4,Value5,Value6\n"})
    assert [list(item) for item in typed.result] == [["0", "{}", "True"]]
    assert typed.result == [{"0": "Value4", "True": "Value5", "{}": "Value6"}]
    exited = next(e for e in typed.history if e["type"] == "MapStateExited")
    assert exited["stateExitedEventDetails"]["output"] == '[{"0":"Value4","{}":"Value6","True":"Value5"}]'
    extra = run(machine(get_object({"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"})),
                {"bucket-name/file.csv": "H1,\nValue4,Value5,Value6\n"})
    assert [list(item) for item in extra.result] == [["", "H1"]]
    given = run(machine(get_object({"InputType": "CSV", "CSVHeaderLocation": "GIVEN",
                                    "CSVHeaders": ["Etag", "Key", "LastModified", "Size", "StorageClass"]})),
                {"bucket-name/file.csv": "a,b,c,d,e\n"})
    assert [list(item) for item in given.result] == [["LastModified", "Etag", "Size", "StorageClass", "Key"]]
    assert given.result == [{"Etag": "a", "Key": "b", "LastModified": "c", "Size": "d", "StorageClass": "e"}]


def test_csv_duplicate_headers_fail_the_map_run():
    reader = get_object({"InputType": "CSV", "CSVHeaderLocation": "GIVEN", "CSVHeaders": ["H1", "H1"]})
    out = run(machine(reader), {"bucket-name/file.csv": "a,b\n"})
    assert out.status == "FAILED"
    assert shape(out.history) == FAILED_SHAPE
    failed = {"error": "States.ItemReaderFailed", "cause": "CSV headers cannot contain duplicates."}
    assert out.history[4]["mapRunFailedEventDetails"] == failed
    assert out.history[6]["executionFailedEventDetails"] == failed


@pytest.mark.parametrize("name,sep", [("TAB", "\t"), ("SEMICOLON", ";"), ("PIPE", "|"), ("SPACE", " ")])
def test_csv_delimiters(name, sep):
    reader = get_object({"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW", "CSVDelimiter": name})
    out = run(machine(reader), {"bucket-name/file.csv": f"a{sep}b\n1{sep}2\n\"x{sep}y\"{sep}3\n"})
    assert out.result == [{"a": "1", "b": "2"}, {"a": f"x{sep}y", "b": "3"}]


def test_malformed_csv_fails_with_item_reader_failed():
    reader = get_object({"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"})
    out = run(machine(reader), {"bucket-name/file.csv": 'a,b\n"unclosed,2\n'})
    assert out.status == "FAILED" and out.result["Error"] == "States.ItemReaderFailed"
    assert "file.csv" in out.result["Cause"] and "malformed" in out.result["Cause"]


ROWS = "Col1,Col2\nValue1,Value2\nValue3,Value4\nValue5,Value6\nValue7,Value8\n"


@pytest.mark.parametrize("max_items,count", [(0, 4), (2, 2), (100_000_000, 4)])
def test_max_items(max_items, count):
    reader = get_object({"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW", "MaxItems": max_items})
    out = run(machine(reader), {"bucket-name/file.csv": ROWS})
    assert out.status == "SUCCEEDED" and len(out.result) == count
    assert out.result[0] == {"Col1": "Value1", "Col2": "Value2"}


@pytest.mark.parametrize("value,count", [(0, 4), (2, 2), ("2", 2), (100_000_001, 4)])
def test_max_items_path(value, count):
    reader = get_object({"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW", "MaxItemsPath": "$.MaxItems"})
    out = run_to_completion(machine(reader), {"Bucket": "bucket-name", "Key": "file.csv", "MaxItems": value},
                            objects={"bucket-name/file.csv": ROWS})
    assert out.status == "SUCCEEDED" and len(out.result) == count


def test_max_items_path_negative_fails_the_map_run_and_non_integer_fails_the_execution():
    reader = get_object({"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW", "MaxItemsPath": "$.MaxItems"})
    negative = run_to_completion(machine(reader), {"Bucket": "bucket-name", "Key": "file.csv", "MaxItems": -1},
                                 objects={"bucket-name/file.csv": ROWS})
    assert shape(negative.history) == FAILED_SHAPE
    assert negative.history[4]["mapRunFailedEventDetails"] == {"error": "States.ItemReaderFailed",
                                                               "cause": "field MaxItems must be positive"}
    fraction = run_to_completion(machine(reader), {"Bucket": "bucket-name", "Key": "file.csv", "MaxItems": 1.5},
                                 objects={"bucket-name/file.csv": ROWS})
    assert shape(fraction.history) == [[1, 0, "ExecutionStarted"], [2, 0, "MapStateEntered"],
                                       [3, 2, "MapStateStarted"], [4, 3, "ExecutionFailed"]]
    assert fraction.history[3]["executionFailedEventDetails"] == {
        "error": "States.Runtime",
        "cause": "An error occurred while executing the state 'MapState' (entered at the event id #2). "
                 'The MaxItemsPath field refers to value "1.5" which is not a valid integer: $.MaxItems'}


FACTS = [{"verdict": "true", "statement_date": "6/11/2008", "statement_source": "speech"},
         {"verdict": "false", "statement_date": "6/7/2022", "statement_source": "television"},
         {"verdict": "mostly-true", "statement_date": "5/18/2016", "statement_source": "news"}]


def test_json_array_and_a_json_object_is_not_iterable():
    reader = get_object({"InputType": "JSON"})
    out = run(machine(reader), {"bucket-name/file.json": json.dumps(FACTS)}, key="file.json")
    assert out.status == "SUCCEEDED" and out.result == FACTS
    assert shape(out.history) == SUCCEEDED_SHAPE
    bad = run(machine(reader), {"bucket-name/file.json": json.dumps({"Hello": "world"})}, key="file.json")
    assert shape(bad.history) == FAILED_SHAPE
    assert bad.result == {"Error": "States.ItemReaderFailed", "Cause": "Attempting to map over non-iterable node."}


def test_json_items_pointer_and_malformed_json():
    reader = get_object({"InputType": "JSON", "ItemsPointer": "/data/rows"})
    doc = {"data": {"rows": [1, 2, 3]}}
    assert run(machine(reader), {"bucket-name/f.json": json.dumps(doc)}, key="f.json").result == [1, 2, 3]
    broken = run(machine(get_object({"InputType": "JSON"})), {"bucket-name/f.json": "[1, 2"}, key="f.json")
    assert broken.result["Error"] == "States.ItemReaderFailed" and "malformed" in broken.result["Cause"]


def test_items_path_is_not_applied_to_the_items_read():
    definition = {"StartAt": "LoadState", "States": {
        "LoadState": {"Type": "Pass", "Next": "MapState", "Parameters": {
            "Bucket.$": "$.Bucket", "Key.$": "$.Key", "from_previous": ["from-previous-item-0"]}},
        **machine(get_object({"InputType": "JSON"}), ItemsPath="$.from_previous")["States"]}}
    out = run(definition, {"bucket-name/file.json": json.dumps([["from-bucket-item-0"]])}, key="file.json")
    assert out.result == [["from-bucket-item-0"]]


def test_jsonl_skips_blank_lines_and_reports_a_bad_line():
    reader = get_object({"InputType": "JSONL"})
    out = run(machine(reader), {"bucket-name/f.jsonl": '{"a": 1}\n\n[2]\n"three"\n'}, key="f.jsonl")
    assert out.result == [{"a": 1}, [2], "three"]
    bad = run(machine(reader), {"bucket-name/f.jsonl": '{"a": 1}\n{oops}\n'}, key="f.jsonl")
    assert bad.result["Error"] == "States.ItemReaderFailed" and "line 2" in bad.result["Cause"]


def test_jsonata_arguments_and_max_items_expression():
    definition = machine({"Resource": "arn:aws:states:::s3:getObject",
                          "ReaderConfig": {"InputType": "JSON", "MaxItems": "{% $states.input.n %}"},
                          "Arguments": {"Bucket": "{% $states.input.Bucket %}", "Key": "{% $states.input.Key %}"}})
    definition["QueryLanguage"] = "JSONata"
    out = run_to_completion(definition, {"Bucket": "bucket-name", "Key": "file.json", "n": 2},
                            objects={"bucket-name/file.json": json.dumps(FACTS)})
    assert out.status == "SUCCEEDED" and out.result == FACTS[:2]


def test_missing_object_and_bucket_fail_and_can_be_caught():
    reader = get_object({"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"})
    definition = machine(reader, Catch=[{"ErrorEquals": ["States.ItemReaderFailed"], "Next": "Caught"}])
    del definition["States"]["MapState"]["End"]
    definition["States"]["MapState"]["Next"] = "Caught"
    definition["States"]["Caught"] = {"Type": "Pass", "End": True}
    out = run(definition, {"bucket-name/other.csv": "a\n1\n"})
    assert out.status == "SUCCEEDED"
    assert out.result == {"Error": "States.ItemReaderFailed", "Cause": NO_SUCH_KEY}
    assert [e["type"] for e in out.history][3:7] == ["MapRunStarted", "MapRunFailed", "MapStateFailed",
                                                     "MapStateExited"]
    no_bucket = run_to_completion(machine(reader), {"Bucket": "nope", "Key": "x.csv"},
                                  objects={"bucket-name/other.csv": "a\n1\n"})
    assert no_bucket.result["Error"] == "States.ItemReaderFailed" and "bucket" in no_bucket.result["Cause"]


def test_list_objects_v2_items_and_prefix():
    objects = {"bucket-name/in/b.txt": "bb", "bucket-name/in/a.txt": "a", "bucket-name/in/sub/c.txt": "ccc",
               "bucket-name/inbox.txt": "x", "bucket-name/out/d.txt": "d"}
    reader = {"Resource": "arn:aws:states:::s3:listObjectsV2", "Parameters": {"Bucket.$": "$.Bucket", "Prefix": "in/"}}
    out = run_to_completion(machine(reader), {"Bucket": "bucket-name"}, objects=objects)
    assert out.status == "SUCCEEDED"
    assert shape(out.history) == SUCCEEDED_SHAPE
    assert [item["Key"] for item in out.result] == ["in/a.txt", "in/b.txt", "in/sub/c.txt"]
    first = out.result[0]
    assert list(first) == ["Etag", "Key", "LastModified", "Size", "StorageClass"]
    assert first["Etag"] == '"' + hashlib.md5(b"a").hexdigest() + '"'
    assert (first["Size"], first["StorageClass"]) == (1, "STANDARD") and isinstance(first["LastModified"], int)
    everything = run_to_completion(machine({**reader, "Parameters": {"Bucket": "bucket-name"}}), {}, objects=objects)
    assert len(everything.result) == 5
    limited = run_to_completion(machine({**reader, "ReaderConfig": {"MaxItems": 1}}), {"Bucket": "bucket-name"},
                                objects=objects)
    assert [item["Key"] for item in limited.result] == ["in/a.txt"]


def test_list_objects_v2_load_and_flatten_reads_every_object():
    objects = {"b/parts/1.csv": "id,name\n1,a\n2,b\n", "b/parts/2.csv": "id,name\n3,c\n"}
    reader = {"Resource": "arn:aws:states:::s3:listObjectsV2",
              "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW", "Transformation": "LOAD_AND_FLATTEN"},
              "Parameters": {"Bucket": "b", "Prefix": "parts/"}}
    out = run_to_completion(machine(reader), {}, objects=objects)
    assert out.result == [{"id": "1", "name": "a"}, {"id": "2", "name": "b"}, {"id": "3", "name": "c"}]


def test_parquet_object():
    import pyarrow as pa
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(pa.table({"id": [1, 2], "name": ["a", None]}), buf)
    out = run(machine(get_object({"InputType": "PARQUET"})), {"bucket-name/f.parquet": buf.getvalue()},
              key="f.parquet")
    assert out.result == [{"id": 1, "name": "a"}, {"id": 2, "name": None}]


def test_s3_inventory_manifest():
    inventory = gzip.compress(b'"src","photos/1.jpg","10"\n"src","photos/2.jpg","20"\n')
    manifest = {"sourceBucket": "src", "destinationBucket": "arn:aws:s3:::inv", "fileFormat": "CSV",
                "fileSchema": "Bucket, Key, Size", "files": [{"key": "inv/data/1.csv.gz", "size": 1}]}
    objects = {"inv/manifest.json": json.dumps(manifest), "inv/inv/data/1.csv.gz": inventory}
    reader = {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "MANIFEST"},
              "Parameters": {"Bucket": "inv", "Key": "manifest.json"}}
    out = run_to_completion(machine(reader), {}, objects=objects)
    assert out.result == [{"Bucket": "src", "Key": "photos/1.jpg", "Size": "10"},
                          {"Bucket": "src", "Key": "photos/2.jpg", "Size": "20"}]


def test_item_selector_and_batcher_apply_to_the_items_read():
    reader = get_object({"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"})
    definition = machine(reader, ItemSelector={"v.$": "$$.Map.Item.Value.Col1", "i.$": "$$.Map.Item.Index"},
                         ItemBatcher={"MaxItemsPerBatch": 3})
    out = run(definition, {"bucket-name/file.csv": ROWS})
    assert out.result == [{"Items": [{"v": "Value1", "i": 0}, {"v": "Value3", "i": 1}, {"v": "Value5", "i": 2}]},
                          {"Items": [{"v": "Value7", "i": 3}]}]


VERDICTS = [{"verdict": "true", "statement_date": "6/11/2008", "statement_source": "speech"},
            {"verdict": "false", "statement_date": "6/7/2022", "statement_source": "television"},
            {"verdict": "mostly-true", "statement_date": "5/18/2016", "statement_source": "news"}]


def jsonata_batcher(max_items_per_batch, max_bytes_per_batch=150_000):
    """LocalStack's AWS-recorded MAP_ITEM_BATCHER_BASE_JSON_MAX_PER_BATCH_JSONATA."""
    definition = {"StartAt": "BatchMapState", "QueryLanguage": "JSONata", "States": {"BatchMapState": {
        "Type": "Map", "End": True, "ItemProcessor": copy.deepcopy(PASS),
        "ItemReader": {"ReaderConfig": {"InputType": "JSON", "MaxItems": 2}, "Resource": "arn:aws:states:::s3:getObject",
                       "Arguments": {"Bucket": "{% $states.input.Bucket %}", "Key": "{% $states.input.Key %}"}},
        "ItemBatcher": {"MaxItemsPerBatch": "{% $states.input.MaxItemsPerBatch %}",
                        "MaxInputBytesPerBatch": "{% $states.input.MaxInputBytesPerBatch %}",
                        "BatchInput": {"BatchTimestamp": "{% $states.context.State.EnteredTime %}"}}}}}
    return run_to_completion(definition, {"Bucket": "bucket-name", "Key": "file.json",
                                          "MaxItemsPerBatch": max_items_per_batch,
                                          "MaxInputBytesPerBatch": max_bytes_per_batch},
                             objects={"bucket-name/file.json": json.dumps(VERDICTS)})


def test_jsonata_item_batcher_limits_are_expressions():
    out = jsonata_batcher(2)
    assert out.status == "SUCCEEDED" and shape(out.history) == SUCCEEDED_SHAPE
    [batch] = out.result
    assert list(batch) == ["BatchInput", "Items"] and batch["Items"] == VERDICTS[:2]
    assert batch["BatchInput"]["BatchTimestamp"].endswith("Z")
    assert [len(b["Items"]) for b in jsonata_batcher(1).result] == [1, 1]


@pytest.mark.parametrize("value,kind,shown", [("two", "string", '"two"'), (1.5, "number", "1.5"),
                                              (None, "null", "null")])
def test_jsonata_item_batcher_limit_of_the_wrong_type_fails_the_state(value, kind, shown):
    out = jsonata_batcher(value)
    assert out.status == "FAILED" and out.result["Error"] == "States.QueryEvaluationError"
    assert out.result["Cause"] == (
        "An error occurred while executing the state 'BatchMapState' (entered at the event id #2). "
        "The JSONata expression '$states.input.MaxItemsPerBatch' specified for the field "
        "'ItemBatcher/MaxItemsPerBatch' returned an unexpected result type. "
        f"Expected 'integer', but was '{kind}' for value: {shown}")
    assert shape(out.history)[1:] == [[2, 0, "MapStateEntered"], [3, 0, "EvaluationFailed"], [4, 3, "MapStateFailed"],
                                      [5, 4, "ExecutionFailed"]]
    assert out.history[2]["evaluationFailedEventDetails"]["location"] == "ItemBatcher/MaxItemsPerBatch"
    bytes_bad = jsonata_batcher(2, "big")
    assert bytes_bad.result["Error"] == "States.QueryEvaluationError"
    assert "'ItemBatcher/MaxInputBytesPerBatch'" in bytes_bad.result["Cause"]


def test_jsonata_item_batcher_negative_limit_fails_the_state():
    out = jsonata_batcher(-1)
    assert out.status == "FAILED" and out.result["Error"] == "States.Runtime"
    assert out.result["Cause"].endswith("(entered at the event id #2). field MaxItemsPerBatch must be positive")


@pytest.mark.parametrize("value,sizes", [("2", [2, 1]), (2, [2, 1]), (3.0, [3]), (0, [3])])
def test_max_items_per_batch_path(value, sizes):
    # a numeric string is taken, as AWS-recorded MAP_STATE_REFERENCE_IN_MAX_PER_BATCH_PATH shows
    definition = machine(get_object({"InputType": "JSON"}), ItemBatcher={"MaxItemsPerBatchPath": "$.Size"})
    out = run_to_completion(definition, {"Bucket": "bucket-name", "Key": "file.json", "Size": value},
                            objects={"bucket-name/file.json": json.dumps(VERDICTS)})
    assert out.status == "SUCCEEDED" and [len(b["Items"]) for b in out.result] == sizes


def test_max_items_per_batch_path_not_an_integer_fails_the_state():
    definition = machine(get_object({"InputType": "JSON"}), ItemBatcher={"MaxItemsPerBatchPath": "$.Size"})
    out = run_to_completion(definition, {"Bucket": "bucket-name", "Key": "file.json", "Size": 1.5},
                            objects={"bucket-name/file.json": json.dumps(VERDICTS)})
    assert out.status == "FAILED" and out.result["Error"] == "States.Runtime"
    assert out.result["Cause"] == ("An error occurred while executing the state 'MapState' (entered at the event id "
                                   '#2). The MaxItemsPerBatchPath field refers to value "1.5" which is not a valid '
                                   "integer: $.Size")


def test_a_directory_serves_as_the_lake(tmp_path):
    (tmp_path / "bucket-name" / "data").mkdir(parents=True)
    (tmp_path / "bucket-name" / "data" / "file.csv").write_text(ROWS)
    reader = get_object({"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"})
    out = run_to_completion(machine(reader), {"Bucket": "bucket-name", "Key": "data/file.csv"}, objects=tmp_path)
    assert len(out.result) == 4
    missing = run_to_completion(machine(reader), {"Bucket": "bucket-name", "Key": "../escape.csv"}, objects=tmp_path)
    assert missing.result == {"Error": "States.ItemReaderFailed", "Cause": NO_SUCH_KEY}


def test_without_objects_the_read_fails_clearly():
    out = run(machine(get_object({"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"})), None)
    assert out.result["Error"] == "States.ItemReaderFailed" and "objects=" in out.result["Cause"]


def test_the_read_is_replayed_from_the_snapshot_and_reissued_while_pending():
    definition = load(machine(get_object({"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"})))
    ex, step = Execution.start(definition, {"Bucket": "bucket-name", "Key": "file.csv"}, DEFAULT_CONTEXT, 0.0, 7)
    [read] = step.commands
    assert isinstance(read, C.ReadItems) and read.parameters == {"Bucket": "bucket-name", "Key": "file.csv"}
    waiting = Execution.restore(definition, ex.snapshot())
    assert waiting.outstanding() == [read]  # re-issued after a restart
    done = ex.advance(answer(read, MemoryObjects({"bucket-name/file.csv": ROWS})), 1.0)
    assert done.status == "SUCCEEDED"
    replayed = Execution.restore(definition, ex.snapshot())
    assert replayed.status == "SUCCEEDED" and replayed.output == done.output and replayed.outstanding() == []


def result_writer_machine(processor_states: dict, **fields) -> dict:
    definition = {"StartAt": "MapState", "States": {"MapState": {
        "Type": "Map", "Label": "TestMap", "End": True,
        "ItemProcessor": {**PASS, "States": processor_states},
        "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject",
                         "Parameters": {"Bucket": "result-bucket", "Prefix": "mapJobs"}}, **fields}}}
    return definition


def test_result_writer_writes_manifest_and_result_files():
    objects: dict[str, bytes | str] = {"result-bucket/.keep": ""}
    out = run_to_completion(result_writer_machine({"P": {"Type": "Pass", "End": True}}), ["Hello", "World"],
                            objects=objects)
    assert out.status == "SUCCEEDED"
    assert shape(out.history) == SUCCEEDED_SHAPE
    run_arn = out.history[3]["mapRunStartedEventDetails"]["mapRunArn"]
    assert ":mapRun:test/TestMap:" in run_arn
    run_id = run_arn.rsplit(":", 1)[1]
    assert out.result == {"MapRunArn": run_arn, "ResultWriterDetails": {
        "Bucket": "result-bucket", "Key": f"mapJobs/{run_id}/manifest.json"}}
    manifest = json.loads(objects[f"result-bucket/mapJobs/{run_id}/manifest.json"])
    succeeded = objects[f"result-bucket/mapJobs/{run_id}/SUCCEEDED_0.json"]
    assert manifest == {"DestinationBucket": "result-bucket", "MapRunArn": run_arn, "ResultFiles": {
        "FAILED": [], "PENDING": [],
        "SUCCEEDED": [{"Key": f"mapJobs/{run_id}/SUCCEEDED_0.json", "Size": len(succeeded)}]}}
    records = json.loads(succeeded)
    assert [(r["Input"], r["Output"], r["Status"]) for r in records] == [
        ('"Hello"', '"Hello"', "SUCCEEDED"), ('"World"', '"World"', "SUCCEEDED")]
    assert records[0]["ExecutionArn"].startswith("arn:aws:states:us-east-1:123456789012:execution:test/TestMap:")
    assert records[0]["StateMachineArn"] == "arn:aws:states:us-east-1:123456789012:stateMachine:test/TestMap"
    assert set(records[0]) >= {"Name", "StartDate", "StopDate", "InputDetails", "OutputDetails", "RedriveStatus"}


def test_result_writer_records_tolerated_failures_and_fails_on_a_missing_bucket():
    objects: dict[str, bytes | str] = {"result-bucket/.keep": ""}
    processor = {"C": {"Type": "Choice", "Choices": [{"Variable": "$", "StringEquals": "bad", "Next": "F"}],
                       "Default": "P"},
                 "F": {"Type": "Fail", "Error": "Bad", "Cause": "bad item"}, "P": {"Type": "Pass", "End": True}}
    definition = result_writer_machine(processor, ToleratedFailureCount=1)
    definition["States"]["MapState"]["ItemProcessor"]["StartAt"] = "C"
    out = run_to_completion(definition, ["ok", "bad"], objects=objects)
    assert out.status == "SUCCEEDED"
    prefix = out.result["ResultWriterDetails"]["Key"].rsplit("/", 1)[0]
    failed = json.loads(objects[f"result-bucket/{prefix}/FAILED_0.json"])
    assert [(r["Input"], r["Status"], r["Error"], r["Cause"]) for r in failed] == [('"bad"', "FAILED", "Bad", "bad item")]
    definition["States"]["MapState"]["ResultWriter"]["Parameters"]["Bucket"] = "missing-bucket"
    lost = run_to_completion(definition, ["ok"], objects=objects)
    assert lost.status == "FAILED" and lost.result["Error"] == "States.ResultWriterFailed"
    assert [e["type"] for e in lost.history][-3:] == ["MapRunFailed", "MapStateFailed", "ExecutionFailed"]


def test_writer_config_without_a_bucket_shapes_the_state_output():
    processor = {"P": {"Type": "Pass", "Parameters": {"pair.$": "States.Array($, $)"}, "OutputPath": "$.pair",
                       "End": True}}
    definition = result_writer_machine(processor)
    config = definition["States"]["MapState"]["ResultWriter"] = {"WriterConfig": {"Transformation": "FLATTEN"}}
    flat = run_to_completion(definition, ["a", "b"])
    assert flat.result == ["a", "a", "b", "b"]
    config["WriterConfig"]["Transformation"] = "COMPACT"
    assert run_to_completion(definition, ["a", "b"]).result == [["a", "a"], ["b", "b"]]
    config["WriterConfig"]["Transformation"] = "NONE"
    records = run_to_completion(definition, ["a", "b"]).result
    assert [(r["Input"], json.loads(r["Output"]), r["Status"]) for r in records] == [
        ('"a"', ["a", "a"], "SUCCEEDED"), ('"b"', ["b", "b"], "SUCCEEDED")]


def test_writer_config_jsonl_compact_files():
    objects: dict[str, bytes | str] = {"result-bucket/.keep": ""}
    definition = result_writer_machine({"P": {"Type": "Pass", "Parameters": {"v.$": "$"}, "End": True}})
    definition["States"]["MapState"]["ResultWriter"]["WriterConfig"] = {"Transformation": "COMPACT",
                                                                        "OutputType": "JSONL"}
    out = run_to_completion(definition, [1, 2], objects=objects)
    manifest = json.loads(objects["result-bucket/" + out.result["ResultWriterDetails"]["Key"]])
    [entry] = manifest["ResultFiles"]["SUCCEEDED"]
    assert entry["Key"].endswith("/SUCCEEDED_0.jsonl")
    assert objects["result-bucket/" + entry["Key"]] == b'{"v":1}\n{"v":2}\n'


def test_athena_data_manifest_reads_each_listed_file():
    objects = {"athena/results/manifest.csv": "s3://athena/results/part-0.jsonl\ns3://athena/results/part-1.jsonl\n",
               "athena/results/part-0.jsonl": '{"n": 1}\n{"n": 2}\n', "athena/results/part-1.jsonl": '{"n": 3}\n'}
    reader = {"Resource": "arn:aws:states:::s3:getObject",
              "ReaderConfig": {"ManifestType": "ATHENA_DATA", "InputType": "JSONL", "MaxItems": 2},
              "Parameters": {"Bucket": "athena", "Key": "results/manifest.csv"}}
    out = run_to_completion(machine(reader), {}, objects=objects)
    assert out.result == [{"n": 1}, {"n": 2}]
    del objects["athena/results/part-0.jsonl"]
    missing = run_to_completion(machine(reader), {}, objects=objects)
    assert missing.result == {"Error": "States.ItemReaderFailed", "Cause": NO_SUCH_KEY}
