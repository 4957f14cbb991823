"""Parallel branches and Map iterations as child frames of the same execution.

A Map launches one iteration at a time and launches the next as soon as the last one ends or
waits, up to MaxConcurrency; so a 100,000-item Map of Pass states holds one iteration in memory.
https://docs.aws.amazon.com/step-functions/latest/dg/state-map-inline.html
https://docs.aws.amazon.com/step-functions/latest/dg/state-parallel.html

A Distributed Map with an ItemReader or ResultWriter waits on the lake: it emits a ``ReadItems``
or ``WriteResults`` command and goes on when the runtime answers (``ItemsRead``/``ResultsWritten``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from stepline.asl import commands as C
from stepline.asl import dataflow as D
from stepline.asl import errors
from stepline.asl.errors import StatesError
from stepline.asl.frames import Fanout, Frame
from stepline.asl.jsonpath import dumps
from stepline.asl.model import State

if TYPE_CHECKING:
    from stepline.asl.interpreter import Execution


def start(ex: Execution, frame: Frame, state: State) -> None:
    if state.type == "Parallel":
        _start_parallel(ex, frame, state)
    else:
        _start_map(ex, frame, state)


def _start_parallel(ex: Execution, frame: Frame, state: State) -> None:
    if state.jsonata:
        branch_input = frame.input
        if "Arguments" in state.raw:
            scope = ex._scope(frame, state)
            branch_input = D.template(state.raw["Arguments"], D.bindings(scope, frame.input), "Arguments", scope)
    else:
        branch_input = frame.effective
        if "Parameters" in state.raw:
            branch_input = D.payload(state.raw["Parameters"], frame.effective, ex._scope(frame, state))
    started = ex._emit(frame, "ParallelStateStarted", None)
    fanout = Fanout(frame, state, "Parallel", list(state.branches), [branch_input] * len(state.branches), 0,
                    frame.variables())
    if not state.branches:
        ex._emit(frame, "ParallelStateSucceeded", None, advance=False)
        ex._ready.append((frame, "complete", [], None))
        return
    for i, graph in enumerate(state.branches):
        child = ex._new_frame(graph, fanout, i, fanout.vars, started)
        child.input = branch_input
        fanout.children[i] = child
        fanout.running += 1
        ex._ready.append((child, "enter", None, None))


def _number(ex: Execution, frame: Frame, state: State, name: str, scope: D.Scope, binding: Any) -> Any:
    raw = state.raw
    if name in raw:
        if state.jsonata:
            return D.expression_as(raw[name], binding, "number", name, scope)
        return raw[name]
    if name + "Path" in raw and not state.jsonata:
        path = raw[name + "Path"]
        value = D.payload({"v.$": path}, frame.effective, scope)["v"]
        number = _as_number(value, integer=name != "ToleratedFailurePercentage")
        if number is None:
            shown = value if isinstance(value, str) else dumps(value)
            kind = "float" if name == "ToleratedFailurePercentage" else "integer"
            raise StatesError(errors.RUNTIME,
                              f'The {name}Path field refers to value "{shown}" which is not a valid {kind}: {path}')
        return _checked(name, number)
    return None


def _checked(name: str, number: Any) -> Any:
    if name == "ToleratedFailurePercentage" and not 0 <= number <= 100:
        raise StatesError(errors.RUNTIME, "ToleratedFailurePercentage must be between 0 and 100.")
    if name == "ToleratedFailureCount" and number < 0:
        raise StatesError(errors.RUNTIME, "ToleratedFailureCount cannot be negative.")
    return number


def _as_number(value: Any, integer: bool) -> int | float | None:
    """A *Path field's number; AWS also takes a numeric string such as "1"."""
    if isinstance(value, str):
        try:
            value = int(value.strip()) if integer else float(value.strip())
        except ValueError:
            return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if integer and isinstance(value, float):
        return int(value) if value.is_integer() else None
    return value


def _start_map(ex: Execution, frame: Frame, state: State) -> None:
    raw = state.raw
    reader = raw.get("ItemReader")
    distributed = _distributed(state)
    if reader is not None and not distributed:
        raise StatesError(errors.ITEM_READER_FAILED,
                          "ItemReader is only supported by a Map whose ProcessorConfig Mode is DISTRIBUTED")
    scope = ex._scope(frame, state)
    binding = D.bindings(scope, frame.input) if state.jsonata else None
    effective = frame.input if state.jsonata else frame.effective
    # With an ItemReader the items come from S3 and ItemsPath/Items are not read (as AWS does).
    items = _input_items(frame, state, scope, binding) if reader is None else []
    limit = _number(ex, frame, state, "MaxConcurrency", scope, binding) or 0
    fanout = Fanout(frame, state, "Map", [state.processor] if state.processor else [], [], int(limit),
                    frame.variables())
    fanout.effective = effective
    batcher = raw.get("ItemBatcher")
    if isinstance(batcher, dict):
        size = _batch_limit(state, batcher, "MaxItemsPerBatch", effective, scope, binding)
        # read and checked as AWS does; a batch is not split by its size in bytes here
        _batch_limit(state, batcher, "MaxInputBytesPerBatch", effective, scope, binding)
        fanout.batching = (size or None, batcher.get("BatchInput"))
    _set_items(fanout, items)
    ex._emit(frame, "MapStateStarted", {"length": len(fanout.results)})
    # AWS reads the tolerated-failure thresholds after MapStateStarted (their errors follow it)
    fanout.tolerated_count = _number(ex, frame, state, "ToleratedFailureCount", scope, binding)
    fanout.tolerated_pct = _number(ex, frame, state, "ToleratedFailurePercentage", scope, binding)
    if distributed:
        # The iterations run as child executions: this history records only the map run.
        # https://docs.aws.amazon.com/step-functions/latest/dg/state-map-distributed.html
        fanout.distributed = True
        read = _read_command(ex, frame, state, reader, scope, binding) if reader is not None else None
        writer = _writer_target(ex, frame, state, scope, binding)
        arn = _map_run_arn(ex, state)
        run = MapRun(fanout, arn, writer)
        ex._map_runs[frame.id] = run
        ex._emit(frame, "MapRunStarted", {"mapRunArn": arn})
        if read is not None:
            if read.max_items < 0:
                _fail(ex, fanout, errors.ITEM_READER_FAILED, "field MaxItems must be positive")
                return
            run.pending = read
            ex._commands.append(read)
            return
        if not fanout.results:
            _run_finished(ex, run)
            return
    if not fanout.results:
        ex._emit(frame, "MapStateSucceeded", None, advance=False)
        ex._ready.append((frame, "complete", [], None))
        return
    fill(ex, fanout)


def _batch_limit(state: State, batcher: dict[str, Any], name: str, effective: Any, scope: D.Scope,
                 binding: Any) -> int | None:
    """An ItemBatcher limit: a number, a JSONata expression giving an integer, or (JSONPath) a
    ``<name>Path`` whose value is an integer or a numeric string (as for MaxItemsPath). 0 or absent:
    no limit."""
    if name in batcher:
        value = batcher[name]
        if state.jsonata:
            value = D.expression_as(value, binding, "integer", f"ItemBatcher/{name}", scope)
        number = _as_number(value, integer=True) if not isinstance(value, str) else None
        if number is None:
            raise StatesError(errors.RUNTIME, f"The {name} field value {dumps(value)} is not a valid integer")
    elif name + "Path" in batcher and not state.jsonata:
        path = batcher[name + "Path"]
        value = D.payload({"v.$": path}, effective, scope)["v"]
        number = _as_number(value, integer=True)
        if number is None:
            shown = value if isinstance(value, str) else dumps(value)
            raise StatesError(errors.RUNTIME,
                              f'The {name}Path field refers to value "{shown}" which is not a valid integer: {path}')
    else:
        return None
    if number < 0:
        raise StatesError(errors.RUNTIME, f"field {name} must be positive")
    return int(number)


def _input_items(frame: Frame, state: State, scope: D.Scope, binding: Any) -> list[Any]:
    raw = state.raw
    if state.jsonata:
        if isinstance(raw.get("Items"), list):  # a literal array may hold {% %} expressions
            items = D.template(raw["Items"], binding, "Items", scope)
        else:
            items = D.expression_as(raw["Items"], binding, "array", "Items", scope) if "Items" in raw else frame.input
    else:
        items = D.input_path(frame.effective, raw.get("ItemsPath", "$"), scope)
    if not isinstance(items, list):
        if state.jsonata:
            raise StatesError(errors.QUERY_EVALUATION_ERROR, "Map state input must be an array but was: " + dumps(items))
        raise StatesError(errors.RUNTIME, "Items of Map state should be an array; got: " + dumps(items))
    return items


def _set_items(fanout: Fanout, items: list[Any]) -> None:
    fanout.items = list(items)
    if fanout.batching is None:
        fanout.results = [None] * len(items)
        return
    fanout.results = [None] * (-(-len(items) // _batch_size(fanout)))


def _batch_size(fanout: Fanout) -> int:
    """Items per batch: MaxItemsPerBatch, else (none, or 0) one batch of every item."""
    return fanout.batching[0] or len(fanout.items) or 1


def _distributed(state: State) -> bool:
    processor = state.raw.get("ItemProcessor") or state.raw.get("Iterator") or {}  # Iterator: the legacy name
    return (processor.get("ProcessorConfig") or {}).get("Mode") == "DISTRIBUTED"


def _map_run_arn(ex: Execution, state: State) -> str:
    """arn:aws:states:<region>:<account>:mapRun:<machine>/<label>:<id>, from the machine's ARN."""
    head, _, name = ex.context.state_machine_arn.rpartition(":stateMachine:")
    run_id = ex.entropy.uuid()
    label = state.raw.get("Label") or ex.entropy.uuid()
    return f"{head}:mapRun:{name}/{label}:{run_id}"


# --- Distributed Map runs: ItemReader and ResultWriter -----------------------------------------

MAX_ITEMS_LIMIT = 100_000_000  # ReaderConfig MaxItems: larger values read every item (as AWS does)


class MapRun:
    """A Distributed Map's run: its map run ARN, and the lake read or write it waits on."""

    __slots__ = ("fanout", "arn", "writer", "writer_config", "pending", "records", "started")

    def __init__(self, fanout: Fanout, arn: str, writer: tuple[str, str, str] | None) -> None:
        self.fanout = fanout
        self.arn = arn
        self.writer = writer  # (resource, bucket, prefix) of the ResultWriter
        config = (fanout.state.raw.get("ResultWriter") or {}).get("WriterConfig")
        self.writer_config: dict[str, Any] = config if isinstance(config, dict) else {}
        self.pending: C.ReadItems | C.WriteResults | None = None
        self.records: list[dict[str, Any]] = []  # child execution records, for the ResultWriter
        self.started: dict[int, tuple[float, Any]] = {}  # child index -> (start time, input), for the ResultWriter

    @property
    def keeps_records(self) -> bool:
        """Child execution records are written to S3, or are the output (Transformation NONE)."""
        return self.writer is not None or self.writer_config.get("Transformation") == "NONE"


def _read_command(ex: Execution, frame: Frame, state: State, reader: dict[str, Any], scope: D.Scope,
                  binding: Any) -> C.ReadItems:
    """The ItemReader's read, its Parameters (JSONPath) or Arguments (JSONata) evaluated."""
    config = reader.get("ReaderConfig") or {}
    if state.jsonata:
        params = D.template(reader.get("Arguments", {}), binding, "ItemReader/Arguments", scope)
        max_items = D.expression_as(config["MaxItems"], binding, "integer", "ItemReader/ReaderConfig/MaxItems",
                                    scope) if "MaxItems" in config else 0
    else:
        params = D.payload(reader.get("Parameters", {}), frame.effective, scope)
        max_items = config.get("MaxItems", 0)
        if "MaxItemsPath" in config:
            path = config["MaxItemsPath"]
            value = D.payload({"v.$": path}, frame.effective, scope)["v"]
            max_items = _as_number(value, integer=True)
            if max_items is None:
                shown = value if isinstance(value, str) else dumps(value)
                raise StatesError(errors.RUNTIME,
                                  f'The MaxItemsPath field refers to value "{shown}" which is not a valid integer: {path}')
    max_items = int(max_items or 0)
    read_id = f"read/{frame.id}/{state.name}/{frame.retry_total}/{ex._last_id}"
    return C.ReadItems(read_id, state.name, reader.get("Resource", ""), params, dict(config),
                       min(max_items, MAX_ITEMS_LIMIT))


def _writer_target(ex: Execution, frame: Frame, state: State, scope: D.Scope,
                   binding: Any) -> tuple[str, str, str] | None:
    writer = state.raw.get("ResultWriter")
    if not isinstance(writer, dict) or "Resource" not in writer:
        return None
    if state.jsonata:
        params = D.template(writer.get("Arguments", {}), binding, "ResultWriter/Arguments", scope)
    else:
        params = D.payload(writer.get("Parameters", {}), frame.effective, scope)
    params = params if isinstance(params, dict) else {}
    return writer["Resource"], str(params.get("Bucket", "")), str(params.get("Prefix", "") or "")


def on_lake_io(ex: Execution, inp: C.ItemsRead | C.ResultsWritten) -> None:
    """The runtime's answer to a map run's ReadItems or WriteResults."""
    io_id = inp.read_id if isinstance(inp, C.ItemsRead) else inp.write_id
    run = next((r for r in ex._map_runs.values() if r.pending is not None and _io_id(r.pending) == io_id), None)
    if run is None:
        return  # a late answer for a run that ended
    run.pending = None
    fanout = run.fanout
    if fanout.frame.done or fanout.error is not None:
        ex._map_runs.pop(fanout.frame.id, None)
        return
    if inp.error is not None:
        _fail(ex, fanout, inp.error, inp.cause or "")
        return
    if isinstance(inp, C.ResultsWritten):
        _run_succeeded(ex, run)
        return
    items = inp.items if isinstance(inp.items, list) else []
    _set_items(fanout, items)
    if not fanout.results:
        _run_finished(ex, run)
        return
    fill(ex, fanout)


def on_map_run_updated(ex: Execution, inp: C.MapRunUpdated) -> None:
    """UpdateMapRun: the run's new limits apply from now on; a higher MaxConcurrency (or 0, no
    limit) launches the iterations it allows at once. AWS records no event for it."""
    run = next((r for r in ex._map_runs.values() if r.arn == inp.map_run_arn), None)
    if run is None:
        return  # the run has ended
    fanout = run.fanout
    if inp.max_concurrency is not None:
        fanout.limit = int(inp.max_concurrency)
    if inp.tolerated_failure_count is not None:
        fanout.tolerated_count = int(inp.tolerated_failure_count)
    if inp.tolerated_failure_percentage is not None:
        fanout.tolerated_pct = float(inp.tolerated_failure_percentage)
    if run.pending is None:
        fill(ex, fanout)


def _io_id(command: C.ReadItems | C.WriteResults) -> str:
    return command.read_id if isinstance(command, C.ReadItems) else command.write_id


def outstanding(ex: Execution) -> list[C.Command]:
    """Reads and writes of map runs still waiting (to re-issue after a restart)."""
    return [run.pending for run in ex._map_runs.values() if run.pending is not None and not run.fanout.frame.done]


def _run_finished(ex: Execution, run: MapRun) -> None:
    """Every child ended well: write the results first when a ResultWriter is set."""
    if run.writer is None:
        _run_succeeded(ex, run)
        return
    resource, bucket, prefix = run.writer
    fanout = run.fanout
    frame = fanout.frame
    command = C.WriteResults(f"write/{frame.id}/{fanout.state.name}/{frame.retry_total}/{ex._last_id}",
                             fanout.state.name, resource, bucket, prefix, run.arn, _records(run),
                             dict(run.writer_config) or None)
    run.pending = command
    ex._commands.append(command)


def _records(run: MapRun) -> list[dict[str, Any]]:
    records = sorted(run.records, key=lambda r: r["_index"])
    run.records = []
    return [{k: v for k, v in r.items() if k != "_index"} for r in records]


def _run_succeeded(ex: Execution, run: MapRun) -> None:
    fanout = run.fanout
    frame = fanout.frame
    ex._map_runs.pop(frame.id, None)
    ended = ex._emit(frame, "MapRunSucceeded", None)
    frame.last_event = ended  # MapStateSucceeded and MapStateExited both point to MapRunSucceeded
    ex._emit(frame, "MapStateSucceeded", None, advance=False)
    output: Any = fanout.results
    if run.writer is not None:
        _, bucket, prefix = run.writer
        output = {"MapRunArn": run.arn, "ResultWriterDetails": {"Bucket": bucket,
                                                                "Key": result_key(prefix, run.arn, "manifest.json")}}
    elif run.writer_config.get("Transformation") == "NONE":
        output = _records(run)
    elif run.writer_config.get("Transformation") == "FLATTEN":
        output = flatten(output)
    ex._ready.append((frame, "complete", output, None))


def flatten(outputs: list[Any]) -> list[Any]:
    """WriterConfig Transformation FLATTEN: a child output that is an array gives its elements."""
    return [v for out in outputs for v in (out if isinstance(out, list) else [out])]


def result_key(prefix: str, map_run_arn: str, name: str) -> str:
    """``<Prefix>/<map run id>/<name>``, where ResultWriter puts its files."""
    run_id = map_run_arn.rsplit(":", 1)[-1]
    prefix = prefix.rstrip("/")
    return f"{prefix}/{run_id}/{name}" if prefix else f"{run_id}/{name}"


def _child_record(ex: Execution, run: MapRun, index: int, ok: bool, value: Any) -> dict[str, Any]:
    """One child execution as ResultWriter writes it (SUCCEEDED_n.json / FAILED_n.json)."""
    started, item = run.started.pop(index, (ex._now, None))
    head, _, rest = run.arn.partition(":mapRun:")
    machine_label = rest.rsplit(":", 1)[0]
    name = ex.entropy.uuid()
    record: dict[str, Any] = {
        "_index": index,
        "ExecutionArn": f"{head}:execution:{machine_label}:{name}",
        "Input": dumps(item), "InputDetails": {"Included": True}, "Name": name,
    }
    if ok:
        record.update({"Output": dumps(value), "OutputDetails": {"Included": True}, "RedriveCount": 0,
                       "RedriveStatus": "NOT_REDRIVABLE",
                       "RedriveStatusReason": "Execution is SUCCEEDED and cannot be redriven"})
    else:
        error, cause = value[0], value[1]
        record.update({"Error": error, "Cause": cause, "RedriveCount": 0, "RedriveStatus": "REDRIVABLE_BY_MAP_RUN"})
    record.update({"StartDate": D.iso_time(started),
                   "StateMachineArn": f"{head}:stateMachine:{machine_label}",
                   "Status": "SUCCEEDED" if ok else "FAILED", "StopDate": D.iso_time(ex._now)})
    return record


def _item_input(ex: Execution, fanout: Fanout, index: int) -> Any:
    state, frame = fanout.state, fanout.frame
    raw = state.raw
    if fanout.batching is not None:
        size, batch_input = _batch_size(fanout), fanout.batching[1]
        chunk = fanout.items[index * size:(index + 1) * size]
        selected = [_select(ex, fanout, index * size + i, v) for i, v in enumerate(chunk)]
        out: dict[str, Any] = {}
        if batch_input is not None:
            scope = ex._scope(frame, state)
            out["BatchInput"] = D.payload(batch_input, fanout.effective, scope) if not state.jsonata else \
                D.template(batch_input, D.bindings(scope, frame.input), "ItemBatcher/BatchInput", scope)
        out["Items"] = selected
        return out
    del raw
    return _select(ex, fanout, index, fanout.items[index])


def _select(ex: Execution, fanout: Fanout, index: int, value: Any) -> Any:
    state, frame = fanout.state, fanout.frame
    raw = state.raw
    selector = raw.get("ItemSelector", raw.get("Parameters"))
    if selector is None:
        return value
    scope = ex._scope(frame, state, {"Map": {"Item": {"Index": index, "Value": value}}})
    if state.jsonata:
        return D.template(selector, D.bindings(scope, frame.input), "ItemSelector", scope)
    return D.payload(selector, fanout.effective, scope)


def fill(ex: Execution, fanout: Fanout) -> None:
    """Launch iterations up to MaxConcurrency. AWS records the MapIterationStarted of every
    iteration it launches before any of them runs; each points to MapStateStarted, or for an
    iteration launched when another ended, to that iteration's last event."""
    fanout.pending_fill = False
    if fanout.error is not None or fanout.frame.done:
        return
    total = len(fanout.results)
    state, frame = fanout.state, fanout.frame
    while fanout.next_index < total and not (fanout.limit and fanout.running >= fanout.limit):
        index = fanout.next_index
        fanout.next_index += 1
        try:
            item = _item_input(ex, fanout, index)
        except StatesError as e:
            _fail(ex, fanout, e.error, ex._cause(frame, state, e))
            return
        started = frame.last_event if fanout.distributed else \
            ex._emit(frame, "MapIterationStarted", (state.name, index), advance=False)
        child = ex._new_frame(fanout.graphs[0], fanout, index, fanout.vars, started)
        child.input = item
        run = ex._map_runs.get(frame.id) if fanout.distributed else None
        if run is not None and run.keeps_records:
            run.started[index] = (ex._now, item)
        fanout.children[index] = child
        fanout.running += 1
        ex._ready.append((child, "enter", None, None))


def child_done(ex: Execution, fanout: Fanout, child: Frame, ok: bool, value: Any) -> None:
    fanout.running -= 1
    fanout.finished += 1
    fanout.children.pop(child.index, None)
    state, frame = fanout.state, fanout.frame
    if fanout.error is not None:
        return
    # The Map's chain moves to the child's last event: a later MapIterationStarted or the
    # Map/ParallelStateFailed points there, not to MapIterationSucceeded/Failed.
    if not fanout.distributed:
        frame.last_event = child.last_event
    ended = frame.last_event
    if fanout.kind == "Map" and not fanout.distributed:
        ended = ex._emit(child, "MapIterationSucceeded" if ok else "MapIterationFailed", (state.name, child.index))
        if not ok and value[2].type == "Task" and value[0] != errors.RUNTIME:
            # AWS closes the failed iteration's Task with TaskStateAborted after MapIterationFailed
            ex._emit(frame, "TaskStateAborted", None, advance=False)
    run = ex._map_runs.get(frame.id) if fanout.distributed else None
    if run is not None and run.keeps_records:
        run.records.append(_child_record(ex, run, child.index, ok, value))
    if ok:
        fanout.results[child.index] = value
    else:
        error, cause, _ = value
        if fanout.kind == "Map" and error != errors.RUNTIME and _tolerated(fanout):
            fanout.results[child.index] = {"Error": error, "Cause": cause}
        else:
            if fanout.kind == "Map" and error != errors.RUNTIME and (fanout.distributed or
                                                                     fanout.tolerated_count is not None or
                                                                     fanout.tolerated_pct is not None):
                error, cause = errors.EXCEED_TOLERATED_FAILURE_THRESHOLD, \
                    "The specified tolerated failure threshold was exceeded"
            _fail(ex, fanout, error, cause)
            return
    if fanout.finished == len(fanout.results):
        if run is not None:
            _run_finished(ex, run)
            return
        if fanout.kind == "Map":  # MapStateSucceeded and MapStateExited both point to the last MapIterationSucceeded
            frame.last_event = ended
        ex._emit(frame, fanout.kind + "StateSucceeded", None, advance=False)
        ex._ready.append((frame, "complete", fanout.results, None))
    elif fanout.kind == "Map" and not fanout.pending_fill:
        fanout.pending_fill = True
        ex.fill_later(fanout)


def _tolerated(fanout: Fanout) -> bool:
    fanout.failed += 1
    if fanout.tolerated_count is not None and fanout.failed <= fanout.tolerated_count:
        return True
    total = len(fanout.results)
    return fanout.tolerated_pct is not None and total > 0 and fanout.failed * 100.0 / total <= fanout.tolerated_pct


def _fail(ex: Execution, fanout: Fanout, error: str, cause: str) -> None:
    fanout.error = (error, cause)
    frame, state = fanout.frame, fanout.state
    aborted = set()
    for index, child in sorted(fanout.children.items()):
        child.done = True
        aborted.add(child.id)
        if fanout.kind == "Map" and not fanout.distributed:  # points where MapStateFailed points
            ex._emit(frame, "MapIterationAborted", (state.name, index), advance=False)
            if child.entered_event and child.graph.states[child.state].type == "Task":
                # an iteration cut short inside a Task: AWS records TaskStateAborted after its MapIterationAborted
                ex._emit(frame, "TaskStateAborted", None, advance=False)
    fanout.children.clear()
    if aborted:
        _cancel_within(ex, aborted)
    if fanout.distributed:
        ex._map_runs.pop(frame.id, None)
        ex._emit(frame, "MapRunFailed", {"error": error, "cause": cause})
    frame.fanout_failed = True  # Map/ParallelStateFailed follows unless a retrier restarts the state
    ex._ready.append((frame, "fail", error, cause))


def _within(frame: Frame | None, ids: set[int]) -> bool:
    while frame is not None:
        if frame.id in ids:
            return True
        frame = frame.fanout.frame if frame.fanout is not None else None
    return False


def _cancel_within(ex: Execution, ids: set[int]) -> None:
    for task_id, info in list(ex._tasks.items()):
        if _within(info.frame, ids):
            info.frame.done = True
            del ex._tasks[task_id]
            ex._started.discard(task_id)
            ex._commands.append(C.CancelTask(task_id))
            for timer in (info.timeout_timer, info.heartbeat_timer):
                ex._disarm(timer)
    for timer_id, (_, owner, _, _) in list(ex._timers.items()):
        if owner is not None and _within(owner, ids):
            owner.done = True
            ex._disarm(timer_id)
