"""The interpreter: one ``Execution`` steps a machine from input to input, emitting history events
and commands, never performing I/O and never reading a clock.

Control never recurses per state or per item: frames (the root, Parallel branches, Map
iterations) sit on one work queue and each runs its states in a loop until it must wait.
"""

from __future__ import annotations

import gc
import re
from collections import deque
from datetime import UTC, datetime
from typing import Any

from stepline.asl import commands as C
from stepline.asl import dataflow as D
from stepline.asl import errors, history, jsonata
from stepline.asl.choice import choose_jsonpath, parse_timestamp
from stepline.asl.errors import StatesError
from stepline.asl.frames import Fanout, Frame, TaskInfo, split_resource
from stepline.asl.history import HistoryEvent
from stepline.asl.intrinsics import SeededEntropy
from stepline.asl.jsonpath import PathNotFound, dumps
from stepline.asl.model import Catcher, State, StateMachine
from stepline.asl.retry import delay, find_catcher, find_retrier

_INPUT_TYPES = {cls.__name__: cls for cls in (
    C.TaskStarted, C.TaskScheduleFailed, C.TaskSubmitted, C.TaskSucceeded, C.TaskFailed, C.TaskHeartbeat, C.TimerFired,
    C.StopRequested, C.ItemsRead, C.ResultsWritten, C.MapRunUpdated)}
# A Wait longer than a signed 32-bit number of seconds (about 24855 days) fails the state.
_MAX_WAIT_SECONDS = 2**31 - 1


def _shown(value: Any) -> str:
    """A value as AWS quotes it in Wait errors: strings bare, anything else as JSON."""
    return value if isinstance(value, str) else dumps(value)


_FIELD = re.compile(r"specified for the field '([^']*)'|^The (\w+) field ")


class _Abort(Exception):
    """The execution ended while a frame was running (internal unwinding)."""


# https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html (execution history size)
MAX_HISTORY_EVENTS = 25_000


class Execution:
    """One execution's whole state. Build with ``start`` or ``restore``; feed with ``advance``."""

    def __init__(self, machine: StateMachine, context: C.ExecutionContext, seed: int,
                 max_events: int | None = MAX_HISTORY_EVENTS,
                 max_payload: int | None = D.MAX_PAYLOAD_BYTES) -> None:
        self.machine = machine
        self.max_events = max_events
        self.max_payload = max_payload
        self.context = context
        self.seed = seed
        self.entropy = SeededEntropy(seed)
        self.status: C.ExecutionStatus = "RUNNING"
        self.output: Any = None
        self.error: str | None = None
        self.cause: str | None = None
        self.input: Any = None
        self._log: list[list[Any]] = []
        self._now = 0.0
        self._last_id = 0
        self._events: list[HistoryEvent] = []
        self._commands: list[C.Command] = []
        self._ready: deque[tuple[Frame, str, Any, Any]] = deque()
        self._frame_seq = 0
        self._timer_seq = 0
        self._tasks: dict[str, TaskInfo] = {}
        self._started: set[str] = set()  # tasks in flight whose Started event is recorded
        self._timers: dict[str, tuple[str, Frame | None, float, Any]] = {}
        self._map_runs: dict[int, Any] = {}  # Distributed Map runs by frame id (fanout.MapRun)
        self._region = (context.execution_arn.split(":") + [""] * 4)[3] or "us-east-1"
        self._failed_at: tuple[Frame, str, Any] | None = None
        self._redrive_count = context.redrive_count
        self._root: Frame | None = None

    # --- public API ------------------------------------------------------------------------------

    @classmethod
    def start(cls, machine: StateMachine, input: Any, context: C.ExecutionContext, now: float,
              seed: int, *, max_events: int | None = MAX_HISTORY_EVENTS,
              max_payload: int | None = D.MAX_PAYLOAD_BYTES,
              input_text: str | None = None) -> tuple[Execution, C.Step]:
        """``max_events``: AWS's history quota (None: unbounded, for benchmarks and tests).
        ``max_payload``: AWS's payload quota in bytes, beyond which a state output or task result
        is States.DataLimitExceeded (None: unbounded, for benchmarks larger than AWS allows).
        ``input_text``: the client's JSON text of ``input``, if the runtime has it; AWS records it
        verbatim (spacing, escapes, number spelling) in ExecutionStarted and the first StateEntered."""
        execution = cls(machine, context, seed, max_events, max_payload)
        execution._log.append(["start", input, now] if input_text is None else ["start", input, now, input_text])
        return execution, execution._guarded(now, lambda: execution._start(input, input_text))

    def advance(self, inp: C.Input, now: float) -> C.Step:
        if self.status != "RUNNING":
            return self._step_result()
        self._log.append(["input", type(inp).__name__, _fields(inp), now])
        return self._guarded(now, lambda: self._on_input(inp))

    def redrive(self, now: float) -> C.Step:
        if self.status in ("RUNNING", "SUCCEEDED") or self._failed_at is None:
            raise ValueError("Execution cannot be redriven")
        self._log.append(["redrive", now])
        return self._guarded(now, self._redrive)

    def snapshot(self) -> dict[str, Any]:
        """Everything needed to rebuild this execution: its start and every input since, replayed
        by ``restore`` (the interpreter is deterministic)."""
        ctx = self.context
        return {
            "version": 1, "seed": self.seed, "log": list(self._log), "max_events": self.max_events,
            "max_payload": self.max_payload,
            "context": [ctx.execution_arn, ctx.execution_name, ctx.state_machine_arn, ctx.state_machine_name,
                        ctx.start_time, ctx.role_arn, ctx.redrive_count],
        }

    def log_length(self) -> int:
        """How many entries the log holds (a store that has persisted them appends from here on)."""
        return len(self._log)

    def log_since(self, n: int) -> list[list[Any]]:
        """The log entries from position ``n`` on: ``snapshot()["log"][n:]`` without copying the rest,
        so a store can append each batch's new entries instead of rewriting the whole log."""
        return self._log[n:]

    @classmethod
    def restore(cls, machine: StateMachine, snapshot: dict[str, Any]) -> Execution:
        context = C.ExecutionContext(*snapshot["context"])
        log = snapshot["log"]
        first = log[0]  # ["start", input, now] or ["start", input, now, input_text]
        execution, _ = cls.start(machine, first[1], context, first[2], snapshot["seed"],
                                 max_events=snapshot.get("max_events", MAX_HISTORY_EVENTS),
                                 max_payload=snapshot.get("max_payload", D.MAX_PAYLOAD_BYTES),
                                 input_text=first[3] if len(first) > 3 else None)
        for entry in log[1:]:
            if entry[0] == "input":
                execution.advance(_INPUT_TYPES[entry[1]](**entry[2]), entry[3])
            elif entry[0] == "redrive":
                execution.redrive(entry[1])
        return execution

    def outstanding(self) -> list[C.Command]:
        """Tasks in flight and armed timers (to re-issue after a restart)."""
        out: list[C.Command] = [t.command for t in self._tasks.values()]
        out.extend(C.StartTimer(tid, fire_at) for tid, (_, _, fire_at, _) in self._timers.items())
        from stepline.asl import fanout as F
        out.extend(F.outstanding(self))
        return out

    # --- driving -------------------------------------------------------------------------------------

    def _guarded(self, now: float, body: Any) -> C.Step:
        self._now = now
        self._events = []
        self._commands = []
        # A step makes many small objects (events, payloads) that all live until it returns; the
        # cyclic collector would rescan them over and over (a 100,000-item Map ran at half speed,
        # slower the larger it got). Nothing a step makes needs collecting before it ends.
        collecting = gc.isenabled()
        if collecting:
            gc.disable()
        try:
            body()
            self._drain()
        except _Abort:
            pass
        except StatesError as e:
            self._end_execution("ExecutionFailed", e.error, e.cause)
        except Exception as e:  # noqa: BLE001 - an interpreter fault fails this execution, never the caller
            self._end_execution("ExecutionFailed", errors.RUNTIME, f"Internal error: {type(e).__name__}: {e}")
        finally:
            if collecting:
                gc.enable()
        return self._step_result()

    def _step_result(self) -> C.Step:
        step = C.Step(self._events, self._commands, self.status, self.output, self.error, self.cause)
        self._events, self._commands = [], []
        return step

    def _emit(self, frame: Frame | None, kind: str, data: dict[str, Any] | tuple | None,
              advance: bool = True) -> int:
        """Append an event; ``previousEventId`` follows the frame's own chain (each Parallel
        branch and Map iteration has one). Execution-level events follow the root's chain."""
        if frame is not None and frame.silent:
            return frame.last_event  # a Distributed Map iteration: its events belong to a child execution
        self._last_id += 1
        owner = frame if frame is not None else self._root
        prev = owner.last_event if owner is not None else self._last_id - 1
        self._events.append(HistoryEvent(self._last_id, prev, self._now, kind, data))
        if owner is not None and advance:
            owner.last_event = self._last_id
        if kind == "MapRunStarted" and owner is not None:
            owner.map_run_event = self._last_id
        return self._last_id

    def _new_frame(self, graph: Any, fanout: Fanout | None, index: int, outer: dict[str, Any], last: int) -> Frame:
        self._frame_seq += 1
        frame = Frame(self._frame_seq, graph, fanout, index, outer, last)
        if fanout is not None and (fanout.distributed or fanout.frame.silent):
            frame.silent = True
        return frame

    def _start(self, input: Any, input_text: str | None = None) -> None:
        self.input = input
        shown = input if input_text is None else history.raw(input_text)
        self._emit(None, "ExecutionStarted", {"input": shown, "roleArn": self.context.role_arn})
        if self.machine.timeout_seconds is not None:
            self._arm("execution", None, self.machine.timeout_seconds, None)
        # AWS records the first state's StateEntered with previousEventId 0, not 1 (ExecutionStarted).
        root = self._new_frame(self.machine.graph, None, 0, {}, 0)
        root.input = input
        root.input_text = input_text
        self._root = root
        self._ready.append((root, "enter", None, None))

    def _drain(self) -> None:
        ready = self._ready
        while ready:
            frame, action, a, b = ready.popleft()
            if frame.done:
                continue
            if action == "enter":
                self._run(frame)
            elif action == "complete":
                if self._finish_state(frame, frame.graph.states[frame.state], a):
                    self._run(frame)
            elif action == "fail":
                if self._fail_state(frame, frame.graph.states[frame.state], a, b):
                    self._run(frame)
            elif action == "work":
                self._start_work(frame, frame.graph.states[frame.state])
            elif action == "fill":
                self._fill(a)

    def _run(self, frame: Frame) -> None:
        """Run states of ``frame`` until it waits or ends."""
        states = frame.graph.states
        limit = self.max_events
        while not frame.done:
            if limit is not None and self._last_id >= limit:
                raise StatesError(errors.RUNTIME, f"The execution reached the maximum number of history events "
                                                  f"({limit}).")
            state = states[frame.state]
            try:
                self._enter(frame, state)
                if state.type in ("Task", "Wait", "Parallel", "Map"):
                    if not frame.done:
                        self._start_work(frame, state)
                    return
                if state.type == "Fail":
                    self._fail_state_type(frame, state)
                    return
                result = self._sync_result(frame, state)
            except StatesError as e:
                if self._fail_state(frame, state, e.error, self._cause(frame, state, e)):
                    continue
                return
            if not self._finish_state(frame, state, result):
                return

    # --- entering a state ------------------------------------------------------------------------

    def _scope(self, frame: Frame, state: State, extra: dict[str, Any] | None = None) -> D.Scope:
        def context() -> dict[str, Any]:
            # fields in the order AWS writes them
            ctx: dict[str, Any] = {
                "Execution": {
                    "Id": self.context.execution_arn, "Input": self.input,
                    "StartTime": D.iso_time(self.context.start_time), "Name": self.context.execution_name,
                    "RoleArn": self.context.role_arn, "RedriveCount": self._redrive_count,
                },
                "StateMachine": {"Id": self.context.state_machine_arn, "Name": self.context.state_machine_name},
                "State": {"Name": state.name, "EnteredTime": D.iso_time(frame.entered_time)},
            }
            if state.type == "Task":  # only a Task's $$.State has RetryCount
                ctx["State"]["RetryCount"] = frame.retry_total
            if frame.token is not None:
                ctx["Task"] = {"Token": frame.token}
            if extra:
                ctx.update(extra)
            return ctx
        return D.Scope(context, frame.variables(), self.entropy, self._now)

    def _enter(self, frame: Frame, state: State) -> None:
        frame.raw_input = frame.input
        frame.entered_time = self._now
        frame.retry_counts = [0] * len(state.retriers)
        frame.retry_total = 0
        frame.token = None
        frame.map_run_event = 0
        frame.entered_prev = frame.last_event
        shown = frame.input
        if frame.input_text is not None:  # the execution's first state shows the client's text
            shown, frame.input_text = history.raw(frame.input_text), None
        frame.entered_event = self._emit(frame, state.type + "StateEntered", (state.name, shown))
        if state.jsonata:
            frame.effective = frame.input
        else:
            path = state.raw.get("InputPath", "$")
            frame.effective = frame.input if path == "$" else D.input_path(frame.input, path, self._scope(frame, state))

    def _cause(self, frame: Frame, state: State, e: StatesError) -> str:
        """AWS's cause for a failure of the state's own fields; a JSONata failure is also
        recorded as an EvaluationFailed event (with the field as its location)."""
        if e.error in (errors.RUNTIME, errors.QUERY_EVALUATION_ERROR, errors.INTRINSIC_FAILURE,
                       errors.RESULT_PATH_MATCH_FAILURE, errors.PARAMETER_PATH_FAILURE):
            cause = (f"An error occurred while executing the state '{state.name}' "
                     f"(entered at the event id #{frame.entered_event}). {e.cause}")
            if e.error == errors.QUERY_EVALUATION_ERROR:
                found = _FIELD.search(e.cause)
                location = (found.group(1) or found.group(2)) if found else None
                # EvaluationFailed points where the StateEntered points (a Wait: to its StateEntered)
                frame.last_event = frame.entered_event if state.type == "Wait" else frame.entered_prev
                self._emit(frame, "EvaluationFailed", {"error": e.error, "cause": cause,
                                                       "location": location, "state": state.name})
                if state.type == "Map" and not (location or "").startswith(("Output", "Assign")):
                    self._emit(frame, "MapStateFailed", None)  # the Map never started
            return cause
        return e.cause

    def _sync_result(self, frame: Frame, state: State) -> Any:
        """The result of Pass, Choice and Succeed (their work needs no waiting)."""
        raw = state.raw
        if state.type == "Pass":
            if state.jsonata:
                return frame.input
            if "Result" in raw:
                return raw["Result"]
            if "Parameters" in raw:
                return D.payload(raw["Parameters"], frame.effective, self._scope(frame, state))
            return frame.effective
        if state.type == "Choice":
            return self._choose(frame, state)
        return frame.effective  # Succeed

    def _choose(self, frame: Frame, state: State) -> Any:
        raw = state.raw
        scope = self._scope(frame, state)
        if state.jsonata:
            binding = D.bindings(scope, frame.input)
            for i, rule in enumerate(raw.get("Choices", ())):
                if D.expression_as(rule.get("Condition"), binding, "boolean", f"Choices/{i}/Condition", scope):
                    frame.effective = (rule.get("Next"), rule)
                    return frame.input
        else:
            rule = choose_jsonpath(raw.get("Choices", ()), frame.effective, scope)
            if rule is not None:
                frame.effective = (rule["Next"], rule)
                return frame.input
        if "Default" in raw:
            frame.effective = (raw["Default"], None)
            return frame.input
        raise StatesError(errors.NO_CHOICE_MATCHED, "No Matches!")

    # --- finishing a state -----------------------------------------------------------------------

    def _finish_state(self, frame: Frame, state: State, result: Any) -> bool:
        """Apply the output fields, emit StateExited, move on. True when the frame goes on."""
        try:
            output, assigned = self._outputs(frame, state, result)
        except StatesError as e:
            return self._fail_state(frame, state, e.error, self._cause(frame, state, e))
        if self.max_payload is not None and D.payload_too_large(output, self.max_payload):
            self._exceed_data_limit(frame, state)
        if assigned:
            frame.own_vars = {**frame.own_vars, **assigned}
        if frame.map_run_event:  # a Distributed Map's MapStateExited points to its MapRunStarted, as AWS records
            frame.last_event = frame.map_run_event
        self._emit(frame, state.type + "StateExited",
                   (state.name, output, assigned) if assigned else (state.name, output))  # {}: none recorded
        if state.type == "Choice":
            nxt = frame.effective[0]
        elif state.type == "Succeed" or state.end:
            self._end_frame(frame, True, output)
            return False
        else:
            nxt = state.next
        frame.state = nxt
        frame.input = output
        return True

    def _outputs(self, frame: Frame, state: State, result: Any) -> tuple[Any, dict[str, Any] | None]:
        raw = state.raw
        rule = frame.effective[1] if state.type == "Choice" else None
        scope = self._scope(frame, state)
        if state.jsonata:
            binding = D.bindings(scope, frame.raw_input, result=result) if state.type in ("Task", "Map", "Parallel") \
                else D.bindings(scope, frame.raw_input)
            source = rule if rule is not None else raw  # a matched rule's fields replace the state's
            assign = D.assign_jsonata(source["Assign"], binding, scope) if "Assign" in source else None
            output = D.template(source["Output"], binding, "Output", scope) if "Output" in source else result
            return output, assign
        if state.type in ("Task", "Map", "Parallel") and "ResultSelector" in raw:
            result = D.payload(raw["ResultSelector"], result, scope)
        source = rule if rule is not None else raw
        assign = D.assign_jsonpath(source["Assign"], result, scope) if "Assign" in source else None
        if state.type in ("Pass", "Task", "Map", "Parallel"):
            combined = D.result_path(frame.raw_input, result, raw.get("ResultPath"), "ResultPath" in raw)
        else:
            combined = result if state.type != "Choice" else frame.input
            if state.type in ("Choice", "Succeed", "Wait"):
                combined = D.input_path(frame.raw_input, raw.get("InputPath", "$"), scope)
        return D.output_path(combined, raw.get("OutputPath", "$"), scope), assign

    # --- failing a state -------------------------------------------------------------------------

    def _exceed_data_limit(self, frame: Frame, state: State) -> None:
        """A state output over 256 KiB is terminal: the execution fails at once, with no
        StateExited, retry or catch (AWS records ExecutionFailed right after the StateEntered)."""
        self._failed_at = (frame, state.name, frame.raw_input)
        self._end_execution("ExecutionFailed", errors.DATA_LIMIT_EXCEEDED, D.data_limit_cause(state.name))
        raise _Abort

    def _fail_state(self, frame: Frame, state: State, error: str, cause: str) -> bool:
        """Retry, catch or fail the frame. True when the frame goes on to a catcher's Next."""
        children_failed, frame.fanout_failed = frame.fanout_failed, False
        if error != errors.RUNTIME:
            index = find_retrier(state.retriers, error)
            if index is not None:
                retrier = state.retriers[index]
                if frame.retry_counts[index] < retrier.max_attempts:
                    seconds = delay(retrier, frame.retry_counts[index], self.entropy)
                    frame.retry_counts[index] += 1
                    frame.retry_total += 1
                    self._arm("retry", frame, seconds, None)
                    return False
        if children_failed:  # a retried Map/Parallel records no StateFailed between its attempts
            self._emit(frame, state.type + "StateFailed", None)
        if error != errors.RUNTIME:
            catcher = find_catcher(state.catchers, error)
            if catcher is not None:
                return self._catch(frame, state, catcher, error, cause)
        self._end_frame(frame, False, (error, cause, state))
        return False

    def _catch(self, frame: Frame, state: State, catcher: Catcher, error: str, cause: str) -> bool:
        # Cause is always there: "" after a timeout, null when a task failure gave none
        error_output: dict[str, Any] = {"Error": error, "Cause": cause}
        scope = self._scope(frame, state)
        assigned = None
        try:
            if state.jsonata:
                binding = D.bindings(scope, frame.raw_input, errorOutput=error_output)
                if catcher.assign is not None:
                    assigned = D.assign_jsonata(catcher.assign, binding, scope)
                output = D.template(catcher.output, binding, "Output", scope) if catcher.output is not None \
                    else error_output
            else:
                if catcher.assign is not None:
                    assigned = D.assign_jsonpath(catcher.assign, error_output, scope)
                output = D.result_path(frame.raw_input, error_output, catcher.result_path, catcher.has_result_path)
        except StatesError as e:
            self._end_frame(frame, False, (e.error, self._cause(frame, state, e), state))
            return False
        if assigned:
            frame.own_vars = {**frame.own_vars, **assigned}
        self._emit(frame, state.type + "StateExited",
                   (state.name, output, assigned) if assigned else (state.name, output))  # {}: none recorded
        frame.state = catcher.next
        frame.input = output
        return True

    def _fail_state_type(self, frame: Frame, state: State) -> None:
        raw = state.raw
        scope = self._scope(frame, state)
        try:
            if state.jsonata:
                binding = D.bindings(scope, frame.input)
                error = D.expression_as(raw.get("Error"), binding, "string", "Error", scope)
                cause = D.expression_as(raw.get("Cause"), binding, "string", "Cause", scope)
            else:
                error = self._fail_field(raw, "Error", frame.input, scope)
                cause = self._fail_field(raw, "Cause", frame.input, scope)
        except StatesError as e:
            self._end_frame(frame, False, (e.error, self._cause(frame, state, e), state))
            return
        self._end_frame(frame, False, (error, cause, state))

    @staticmethod
    def _fail_field(raw: dict[str, Any], name: str, doc: Any, scope: D.Scope) -> Any:
        if name + "Path" in raw:
            field = name + "Path"
            try:
                value = D.payload({field + ".$": raw[field]}, doc, scope)[field]
            except StatesError as e:  # AWS names the field ErrorPath / CausePath, without ".$"
                raise StatesError(e.error, e.cause.replace(f"'{field}.$'", f"'{field}'")) from None
            return value if isinstance(value, str) else dumps(value)
        return raw.get(name)

    # --- frames end --------------------------------------------------------------------------------

    def _end_frame(self, frame: Frame, ok: bool, value: Any) -> None:
        frame.done = True
        fanout = frame.fanout
        if fanout is None:
            if ok:
                self.output = value
                self._end_execution("ExecutionSucceeded", output=value)
            else:
                error, cause, state = value
                self._failed_at = (frame, state.name, frame.raw_input)
                self._end_execution("ExecutionFailed", error, cause)
            raise _Abort
        if not ok and fanout.kind == "Parallel" and value[2].type == "Task" and value[0] != errors.RUNTIME:
            # AWS closes a branch's failed Task with TaskStateAborted before ParallelStateFailed
            self._emit(frame, "TaskStateAborted", None, advance=False)
        from stepline.asl import fanout as F
        F.child_done(self, fanout, frame, ok, value)

    def _end_execution(self, kind: str, error: str | None = None, cause: str | None = None,
                       output: Any = None) -> None:
        if self.status != "RUNNING":
            return
        if kind == "ExecutionSucceeded":
            self._emit(None, kind, {"output": output})
            self.status = "SUCCEEDED"
        else:
            cause = cause or None  # AWS records no cause rather than an empty one (a timeout's)
            self._emit(None, kind, {"error": error, "cause": cause})
            if kind == "ExecutionAborted":  # AWS records a stop as following no event
                self._events[-1].previous_event_id = 0
            self.status = {"ExecutionFailed": "FAILED", "ExecutionTimedOut": "TIMED_OUT",
                           "ExecutionAborted": "ABORTED"}[kind]  # type: ignore[assignment]
            self.error, self.cause = error, cause
            root = self._root
            if kind != "ExecutionFailed" and root is not None and not root.done:
                self._failed_at = (root, root.state, root.raw_input)
        for task_id in list(self._tasks):
            self._commands.append(C.CancelTask(task_id))
        for timer_id in list(self._timers):
            self._commands.append(C.CancelTimer(timer_id))
        self._tasks.clear()
        self._started.clear()
        self._timers.clear()
        self._map_runs.clear()
        self._ready.clear()

    # --- waiting work: Task, Wait, Parallel, Map ---------------------------------------------------

    def _start_work(self, frame: Frame, state: State) -> None:
        try:
            if state.type == "Task":
                self._schedule_task(frame, state)
            elif state.type == "Wait":
                self._wait(frame, state)
            else:
                from stepline.asl import fanout as F
                F.start(self, frame, state)
        except StatesError as e:
            if self._fail_state(frame, state, e.error, self._cause(frame, state, e)):
                self._ready.append((frame, "enter", None, None))

    def _arm(self, kind: str, frame: Frame | None, seconds: float, extra: Any) -> str:
        self._timer_seq += 1
        timer_id = f"{kind}-{self._timer_seq}"
        fire_at = self._now + max(0.0, float(seconds))
        self._timers[timer_id] = (kind, frame, fire_at, extra)
        self._commands.append(C.StartTimer(timer_id, fire_at))
        return timer_id

    def _disarm(self, timer_id: str | None) -> None:
        if timer_id is not None and self._timers.pop(timer_id, None) is not None:
            self._commands.append(C.CancelTimer(timer_id))

    def _number_field(self, frame: Frame, state: State, name: str, scope: D.Scope, binding: Any) -> float | None:
        raw = state.raw
        if state.jsonata:
            if name not in raw:
                return None
            return D.expression_as(raw[name], binding, "integer", name, scope)
        if name in raw:
            return raw[name]
        if name + "Path" in raw:
            # a missing path fails as "Invalid path '$.x' : No results for path: $['x']", as AWS says
            value = D.input_path(frame.effective, raw[name + "Path"], scope)
            if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
                raise StatesError(errors.RUNTIME, f"The {name}Path parameter does not reference a valid value: {dumps(value)}")
            return value
        return None

    def _schedule_task(self, frame: Frame, state: State) -> None:
        raw = state.raw
        resource = raw.get("Resource", "")
        if resource.endswith((".waitForTaskToken", ".sync", ".sync:2")):  # AWS gives .sync a $$.Task.Token too
            frame.token = self.entropy.uuid()
        scope = self._scope(frame, state)
        binding = D.bindings(scope, frame.input) if state.jsonata else None
        if state.jsonata:
            resource = D.expression_as(resource, binding, "string", "Resource", scope)
            params = D.template(raw["Arguments"], binding, "Arguments", scope) if "Arguments" in raw else frame.input
        else:
            params = D.payload(raw["Parameters"], frame.effective, scope) if "Parameters" in raw else frame.effective
        timeout = self._number_field(frame, state, "TimeoutSeconds", scope, binding)
        heartbeat = self._number_field(frame, state, "HeartbeatSeconds", scope, binding)
        kind, name, is_lambda = split_resource(resource)
        if kind == "apigateway" and name.split(".")[0] == "invoke" and not _api_gateway_headers_ok(params):
            raise StatesError(errors.RUNTIME, f"The Parameters '{dumps(params)}' could not be used to start the Task: "
                                              "[The value of the field 'Headers' has an invalid format]")
        frame.task_id = task_id = f"{frame.id}/{state.name}/{frame.retry_total}/{self._last_id}"
        command = C.RunTask(task_id, state.name, resource, params, frame.retry_total,
                            float(timeout) if timeout is not None else None,
                            float(heartbeat) if heartbeat is not None else None, frame.token)
        info = TaskInfo(frame, command, kind, name, is_lambda)
        credentials = self._credentials(frame, state, scope, binding)
        if is_lambda:
            self._emit(frame, "LambdaFunctionScheduled", {"resource": resource, "input": params,
                                                          "timeoutInSeconds": _int(timeout),
                                                          "taskCredentials": credentials})
        elif kind == "activity":  # an activity ARN: Activity* events, as AWS records them
            self._emit(frame, "ActivityScheduled", {"resource": resource, "input": params,
                                                    "timeoutInSeconds": _int(timeout),
                                                    "heartbeatInSeconds": _int(heartbeat)})
        else:
            self._emit(frame, "TaskScheduled", {
                "resourceType": kind, "resource": name, "region": self._region, "parameters": params,
                "timeoutInSeconds": _int(timeout), "heartbeatInSeconds": _int(heartbeat),
                "taskCredentials": credentials})
        if timeout is not None:
            info.timeout_timer = self._arm("timeout", frame, timeout, task_id)
        if heartbeat is not None:
            info.heartbeat_timer = self._arm("heartbeat", frame, heartbeat, task_id)
        self._tasks[task_id] = info
        self._commands.append(command)

    @staticmethod
    def _credentials(frame: Frame, state: State, scope: D.Scope, binding: Any) -> dict[str, Any] | None:
        """A Task's Credentials as TaskScheduled records them: {"roleArn": ...}."""
        spec = state.raw.get("Credentials")
        if not isinstance(spec, dict):
            return None
        value = D.template(spec, binding, "Credentials", scope) if state.jsonata \
            else D.payload(spec, frame.effective, scope)
        role = value.get("RoleArn") if isinstance(value, dict) else None
        return None if role is None else {"roleArn": role}

    def _wait(self, frame: Frame, state: State) -> None:
        raw = state.raw
        scope = self._scope(frame, state)
        seconds: Any = None
        if state.jsonata:
            binding = D.bindings(scope, frame.input)
            if "Seconds" in raw:
                seconds = D.expression_as(raw["Seconds"], binding, "integer", "Seconds", scope)
            else:
                stamp = D.expression_as(raw.get("Timestamp"), binding, "string", "Timestamp", scope)
                moment = parse_timestamp(stamp)
                if moment is None:
                    raise StatesError(errors.QUERY_EVALUATION_ERROR, "The Timestamp field cannot be parsed as an "
                                      f"ISO-8601 extended offset date-time format string: {_shown(stamp)}")
                seconds = moment.timestamp() - self._now
        elif "Seconds" in raw:
            seconds = raw["Seconds"]
        elif "Timestamp" in raw:
            seconds = self._until(raw["Timestamp"], "Timestamp")
        elif "SecondsPath" in raw:
            path = raw["SecondsPath"]
            seconds = self._wait_path_value(frame, "SecondsPath", path, scope)
            if not isinstance(seconds, int) or isinstance(seconds, bool):
                raise StatesError(errors.RUNTIME, "The SecondsPath parameter cannot be parsed as a long value: "
                                  f"{path} == {_shown(seconds)}")
            if seconds < 0:
                raise StatesError(errors.RUNTIME, "The SecondsPath parameter references a negative value: "
                                  f"{path} == {_shown(seconds)}")
        else:
            path = raw.get("TimestampPath", "$")
            stamp = self._wait_path_value(frame, "TimestampPath", path, scope)
            moment = parse_timestamp(stamp)
            if moment is None:
                raise StatesError(errors.RUNTIME, "The TimestampPath parameter does not reference a valid ISO-8601 "
                                  f"extended offset date-time format string: {path} == {_shown(stamp)}")
            seconds = moment.timestamp() - self._now
        if seconds > _MAX_WAIT_SECONDS:
            raise StatesError(errors.RUNTIME, "Wait state delay is too long.")
        frame.wait_timer = self._arm("wait", frame, seconds, None)

    @staticmethod
    def _wait_path_value(frame: Frame, field: str, path: str, scope: D.Scope) -> Any:
        try:
            return D.read_path(path, frame.effective, scope)
        except PathNotFound:
            raise StatesError(errors.RUNTIME, f"The {field} parameter does not reference an input value: {path}") \
                from None

    def _until(self, stamp: Any, field: str) -> float:
        moment = parse_timestamp(stamp)
        if moment is None:
            raise StatesError(errors.RUNTIME, f"The {field} parameter does not reference a valid ISO-8601 "
                              f"extended offset date-time format string: {dumps(stamp)}")
        return moment.timestamp() - self._now

    # --- inputs ------------------------------------------------------------------------------------

    def _on_input(self, inp: C.Input) -> None:
        if isinstance(inp, C.StopRequested):
            self._end_execution("ExecutionAborted", inp.error, inp.cause)
            return
        if isinstance(inp, C.TimerFired):
            self._on_timer(inp.timer_id)
            # AWS records every task timeout due at this instant before any state reacts to one
            # (a Map whose iterations all time out lists all their TaskTimedOut events first)
            for timer_id in self._due_task_timers():
                self._commands.append(C.CancelTimer(timer_id))
                self._on_timer(timer_id)
            return
        if isinstance(inp, C.ItemsRead | C.ResultsWritten):
            from stepline.asl import fanout as F
            F.on_lake_io(self, inp)
            return
        if isinstance(inp, C.MapRunUpdated):
            from stepline.asl import fanout as F
            F.on_map_run_updated(self, inp)
            return
        info = self._tasks.get(inp.task_id)
        if info is None:
            return  # a late report for a task that timed out or was cancelled
        frame = info.frame
        if (isinstance(inp, C.TaskSucceeded) and self.max_payload is not None
                and D.payload_too_large(inp.output, self.max_payload)):
            # an oversized task result is a task failure (catchable); AWS names the resource:
            # the function ARN of a Lambda resource, the service of an integration ('lambda')
            name = info.command.resource if info.lambda_ else info.resource_type
            inp = C.TaskFailed(inp.task_id, errors.DATA_LIMIT_EXCEEDED, D.data_limit_cause(name))
        activity = info.resource_type == "activity"
        if isinstance(inp, C.TaskStarted):
            if inp.task_id in self._started:
                return  # re-issued after a restart (an activity task queued again): started once
            self._started.add(inp.task_id)
            if info.lambda_:
                self._emit(frame, "LambdaFunctionStarted", None)
            elif activity:  # AWS records ActivityStarted with empty details when the worker gave no name
                self._emit(frame, "ActivityStarted", {"workerName": inp.worker_name})
            else:
                self._emit(frame, "TaskStarted", {"resourceType": info.resource_type, "resource": info.resource})
        elif isinstance(inp, C.TaskSubmitted):
            self._emit(frame, "TaskSubmitted", {"resourceType": info.resource_type, "resource": info.resource,
                                                "output": inp.output})
        elif isinstance(inp, C.TaskHeartbeat):
            if info.heartbeat_timer is not None and info.command.heartbeat_seconds is not None:
                self._disarm(info.heartbeat_timer)
                info.heartbeat_timer = self._arm("heartbeat", frame, info.command.heartbeat_seconds, inp.task_id)
        elif isinstance(inp, C.TaskSucceeded):
            self._close_task(info)
            if info.lambda_:
                self._emit(frame, "LambdaFunctionSucceeded", {"output": inp.output})
            elif activity:
                self._emit(frame, "ActivitySucceeded", {"output": inp.output})
            else:
                self._emit(frame, "TaskSucceeded", {"resourceType": info.resource_type, "resource": info.resource,
                                                    "output": inp.output})
            self._ready.append((frame, "complete", inp.output, None))
        elif isinstance(inp, C.TaskFailed):
            self._close_task(info)
            if info.lambda_:
                self._emit(frame, "LambdaFunctionFailed", {"error": inp.error, "cause": inp.cause})
            elif activity:
                self._emit(frame, "ActivityFailed", {"error": inp.error, "cause": inp.cause})
            else:
                self._emit(frame, "TaskFailed", {"resourceType": info.resource_type, "resource": info.resource,
                                                 "error": inp.error, "cause": inp.cause})
            self._ready.append((frame, "fail", inp.error, inp.cause))
        elif isinstance(inp, C.TaskScheduleFailed):
            self._close_task(info)
            if info.lambda_:
                self._emit(frame, "LambdaFunctionScheduleFailed", {"error": inp.error, "cause": inp.cause})
            elif activity:
                self._emit(frame, "ActivityScheduleFailed", {"error": inp.error, "cause": inp.cause})
            else:
                self._emit(frame, "TaskStartFailed", {"resourceType": info.resource_type, "resource": info.resource,
                                                      "error": inp.error, "cause": inp.cause})
            cause = inp.cause or ""
            if inp.error == errors.RUNTIME:  # AWS names the state, as for its other runtime failures
                cause = (f"An error occurred while executing the state '{frame.state}' "
                         f"(entered at the event id #{frame.entered_event}). {cause}")
            self._ready.append((frame, "fail", inp.error, cause))

    def _due_task_timers(self) -> list[str]:
        """Armed task timeout/heartbeat timers due by now, in the order they would fire."""
        due = [(fire_at, int(timer_id.rsplit("-", 1)[1]), timer_id)
               for timer_id, (kind, _, fire_at, _) in self._timers.items()
               if kind in ("timeout", "heartbeat") and fire_at <= self._now]
        return [timer_id for _, _, timer_id in sorted(due)]

    def _close_task(self, info: TaskInfo) -> None:
        self._tasks.pop(info.command.task_id, None)
        self._started.discard(info.command.task_id)
        self._disarm(info.timeout_timer)
        self._disarm(info.heartbeat_timer)

    def _on_timer(self, timer_id: str) -> None:
        entry = self._timers.pop(timer_id, None)
        if entry is None:
            return
        kind, frame, _, extra = entry
        if kind == "execution":
            self._end_execution("ExecutionTimedOut", errors.TIMEOUT, None)
            return
        assert frame is not None
        if frame.done:
            return
        if kind == "wait":
            frame.wait_timer = None
            state = frame.graph.states[frame.state]
            self._ready.append((frame, "complete", frame.effective, None))
            del state
        elif kind == "retry":
            self._ready.append((frame, "work", None, None))
        elif kind in ("timeout", "heartbeat"):
            info = self._tasks.get(extra)
            if info is None:
                return
            self._close_task(info)
            self._commands.append(C.CancelTask(extra))
            error = errors.TIMEOUT  # AWS records a missed heartbeat as States.Timeout too
            kind_name = "LambdaFunctionTimedOut" if info.lambda_ else \
                "ActivityTimedOut" if info.resource_type == "activity" else "TaskTimedOut"
            data = {"error": error, "cause": None} if info.lambda_ or info.resource_type == "activity" else {
                "resourceType": info.resource_type, "resource": info.resource, "error": error, "cause": None}
            self._emit(frame, kind_name, data)
            self._ready.append((frame, "fail", error, ""))  # a catcher sees "Cause": ""

    def _redrive(self) -> None:
        assert self._failed_at is not None
        frame, state_name, raw_input = self._failed_at
        self._redrive_count += 1
        self.status, self.error, self.cause, self._failed_at = "RUNNING", None, None, None
        self._emit(None, "ExecutionRedriven", {"redriveCount": self._redrive_count})
        frame.done = False
        frame.last_event = self._last_id
        frame.state = state_name
        frame.input = raw_input
        self._ready.append((frame, "enter", None, None))

    # for fanout.py
    def fill_later(self, fanout: Fanout) -> None:
        self._ready.append((fanout.frame, "fill", fanout, None))

    def _fill(self, fanout: Fanout) -> None:
        from stepline.asl import fanout as F
        F.fill(self, fanout)


def _api_gateway_headers_ok(params: Any) -> bool:
    """API Gateway's Headers must map each name to a list of strings (as AWS checks before scheduling)."""
    headers = params.get("Headers") if isinstance(params, dict) else None
    if headers is None:
        return True
    return isinstance(headers, dict) and all(
        isinstance(values, list) and all(isinstance(v, str) for v in values) for values in headers.values())


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _fields(inp: C.Input) -> dict[str, Any]:
    return {name: getattr(inp, name) for name in inp.__slots__}  # type: ignore[union-attr]


def now_iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat()


__all__ = ["Execution", "jsonata"]
