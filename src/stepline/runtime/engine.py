"""The drive loop: feed an input to an Execution, persist the new events and log entries, THEN act.

One engine thread advances every execution, so an Execution is never advanced from two threads
at once. It drains its queue in batches and commits each batch in one store transaction before
acting on the batch's commands (run a task, arm a timer, cancel). Blocking task work (Lambda
handlers, Data API calls, waiting for a child execution) runs on a small thread pool and reports
back through the queue.

The interpreter's snapshot is stored whole only when an execution starts; after that each batch
appends just the snapshot log entries it added (``log_since``), so the bytes written for an
execution grow with its length, not with its length squared.
"""

from __future__ import annotations

import hashlib
import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

from stepline.asl import commands as C
from stepline.clock import Clock, VirtualClock
from stepline.runtime.stores.base import Append, ExecutionRecord, ExecutionStore
from stepline.runtime.timers import Timers

log = logging.getLogger(__name__)

_BATCH = 512


@dataclass(frozen=True, slots=True)
class Interpreter:
    """The four entry points of ``stepline.asl`` the runtime uses (injectable for tests)."""

    load: Callable[[Any], Any]
    start: Callable[..., tuple[Any, C.Step]]
    restore: Callable[[Any, dict], Any]
    to_aws: Callable[[Any], dict]


def default_interpreter() -> Interpreter:
    from stepline.asl import history, interpreter, load

    def _load(definition: Any) -> Any:
        return load(definition) if callable(load) else load.load(definition)

    return Interpreter(load=_load, start=interpreter.Execution.start,
                       restore=interpreter.Execution.restore, to_aws=history.to_aws)


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def seed_of(arn: str, redrive_count: int = 0) -> int:
    return int.from_bytes(hashlib.sha256(f"{arn}#{redrive_count}".encode()).digest()[:8], "big")


@dataclass(slots=True)
class Live:
    record: ExecutionRecord
    machine: Any
    execution: Any
    last_event_id: int = 0
    logged: int = 0  # snapshot log entries already in the store
    events: list[dict] = field(default_factory=list)  # kept only for unstored (express) executions
    done: threading.Event = field(default_factory=threading.Event)
    listeners: list[Callable[[ExecutionRecord], None]] = field(default_factory=list)
    # the record as last stored, which is what readers see: a status must not say SUCCEEDED while
    # the history that got there is still being committed
    published: ExecutionRecord | None = None

    def __post_init__(self) -> None:
        if self.published is None:
            self.published = self.record  # made from a stored record (launch, resume, redrive)


@dataclass(frozen=True, slots=True)
class TaskContext:
    """What an integration gets to run one task attempt and report its outcome."""

    engine: Engine
    record: ExecutionRecord

    def report(self, inp: C.Input) -> None:
        self.engine.submit(self.record.arn, inp)

    def spawn(self, fn: Callable[[], None]) -> None:
        self.engine.spawn(fn)


class Engine:
    def __init__(self, store: ExecutionStore, clock: Clock, interpreter: Interpreter, integrations: Any,
                 *, pool_size: int = 16) -> None:
        self.store = store
        self.clock = clock
        self.interpreter = interpreter
        self.integrations = integrations
        self.timers = Timers(clock, lambda arn, timer_id: self.submit(arn, C.TimerFired(timer_id)))
        self._queue: queue.Queue[tuple[str, str, Any]] = queue.Queue()
        self._pool = ThreadPoolExecutor(max_workers=pool_size, thread_name_prefix="stepline-task")
        self._live: dict[str, Live] = {}
        self._lock = threading.Lock()
        self._busy = 0
        self._idle = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None
        self.transitions = 0  # history events written, for benchmarks
        # called on the engine thread with each execution's new events once they are stored
        self.on_events: Callable[[Live, list[dict]], None] | None = None

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="stepline-engine", daemon=True)
            self._thread.start()
            self.timers.start()

    def stop(self) -> None:
        self.timers.stop()
        if self._thread is not None:
            self._queue.put(("stop", "", None))
            self._thread.join(timeout=10)
            self._thread = None
        self._pool.shutdown(wait=False, cancel_futures=True)

    # --- entry points (any thread) ----------------------------------------------------------------

    def launch(self, record: ExecutionRecord, machine: Any, input_value: Any, context: C.ExecutionContext) -> Live:
        """Start a new execution: its first events are stored before any command is acted on."""
        # the client's input text as sent: AWS records it verbatim in ExecutionStarted
        execution, step = self.interpreter.start(machine, input_value, context, self.clock.now(), seed_of(record.arn),
                                                 input_text=record.input)
        events = [self.interpreter.to_aws(e) for e in step.events]
        _add_version(events, record)
        record = self._finish_record(record, step)
        live = Live(record, machine, execution, last_event_id=_last_id(events, 0))
        if record.express:
            live.events.extend(events)
        else:
            self.store.create_execution(Append(record, events, execution.snapshot()))
            live.logged = execution.log_length()
        self._notify(live, events)
        self._register(live, step.commands)
        return live

    def resume(self, record: ExecutionRecord, machine: Any, snapshot: dict, last_event_id: int) -> Live:
        """Bring a stored RUNNING execution back to life and re-issue what it was waiting for."""
        execution = self.interpreter.restore(machine, snapshot)
        live = Live(record, machine, execution, last_event_id=last_event_id, logged=execution.log_length())
        self._register(live, list(execution.outstanding()))
        return live

    def redrive(self, record: ExecutionRecord, machine: Any, snapshot: dict, last_event_id: int) -> Live:
        execution = self.interpreter.restore(machine, snapshot)
        stored = execution.log_length()
        step = execution.redrive(self.clock.now())
        events = [self.interpreter.to_aws(e) for e in step.events]
        record = self._finish_record(record, step)
        self.store.append_many([Append(record, events, None, execution.log_since(stored), stored)])
        live = Live(record, machine, execution, last_event_id=_last_id(events, last_event_id),
                    logged=execution.log_length())
        self._notify(live, events)
        self._register(live, step.commands)
        return live

    def submit(self, arn: str, inp: C.Input) -> None:
        with self._lock:
            self._busy += 1
        self._queue.put(("input", arn, inp))

    def call_soon(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` on the engine thread (between batches, never while an execution advances)."""
        with self._lock:
            self._busy += 1
        self._queue.put(("call", "", fn))

    def spawn(self, fn: Callable[[], None]) -> None:
        with self._lock:
            self._busy += 1

        def job() -> None:
            try:
                fn()
            except Exception:  # noqa: BLE001 - an integration bug must not kill the pool
                log.exception("task integration failed")
            finally:
                self._done_one()

        self._pool.submit(job)

    def live(self, arn: str) -> Live | None:
        with self._lock:
            return self._live.get(arn)

    def live_count(self) -> int:
        with self._lock:
            return len(self._live)

    def on_finish(self, arn: str, callback: Callable[[ExecutionRecord], None]) -> bool:
        """Call ``callback(record)`` when the execution ends; False when it is not running."""
        with self._lock:
            live = self._live.get(arn)
            if live is None:
                return False
            live.listeners.append(callback)
            return True

    # --- waiting ----------------------------------------------------------------------------------

    def wait_idle(self, timeout: float | None = None) -> bool:
        with self._idle:
            return self._idle.wait_for(lambda: self._busy == 0, timeout)

    def run_until(self, done: Callable[[], bool], timeout: float | None = None) -> bool:
        """Wait until ``done()``; with a VirtualClock, jump over timers whenever nothing else moves."""
        deadline = None if timeout is None else time.monotonic() + timeout
        virtual = isinstance(self.clock, VirtualClock)
        pause = threading.Event()
        while not done():
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return False
            if virtual:
                if not self.wait_idle(left):
                    return False
                if not done() and not self.timers.advance_to_next():
                    return done()
            else:
                pause.wait(0.005 if left is None else min(0.005, left))
        return True

    # --- the engine thread ------------------------------------------------------------------------

    def _register(self, live: Live, commands: list[C.Command]) -> None:
        with self._lock:
            if live.record.status == "RUNNING":
                self._live[live.record.arn] = live
            self._busy += 1
        self._queue.put(("act", live.record.arn, (live, commands)))

    def _done_one(self, n: int = 1) -> None:
        with self._idle:
            self._busy -= n
            if self._busy == 0:
                self._idle.notify_all()

    def _run(self) -> None:
        while True:
            items = [self._queue.get()]
            while len(items) < _BATCH:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stop = any(kind == "stop" for kind, _, _ in items)
            try:
                self._process([i for i in items if i[0] != "stop"])
            except Exception:  # noqa: BLE001 - keep the loop alive; the failure is logged
                log.exception("engine batch failed")
            finally:
                self._done_one(sum(1 for i in items if i[0] != "stop"))
            if stop:
                return

    def _process(self, items: list[tuple[str, str, Any]]) -> None:
        pending: dict[str, tuple[Live, list[dict]]] = {}  # one store append per execution per batch
        actions: list[tuple[Live, list[C.Command]]] = []
        finished: list[Live] = []
        now = self.clock.now()
        for kind, arn, payload in items:
            if kind == "act":
                live, cmds = payload
                actions.append((live, cmds))
                if live.record.status != "RUNNING":
                    finished.append(live)
                continue
            if kind == "call":
                try:
                    payload()
                except Exception:  # noqa: BLE001
                    log.exception("engine call failed")
                continue
            with self._lock:
                live = self._live.get(arn)
            if live is None or live.record.status != "RUNNING":
                continue  # a late task result or timer of a finished execution
            try:
                step = live.execution.advance(payload, now)
                events = [self.interpreter.to_aws(e) for e in step.events]
            except Exception as e:  # noqa: BLE001 - an interpreter bug fails this execution only
                log.exception("advance failed for %s", arn)
                step = C.Step(status="FAILED", error="States.Runtime", cause=f"internal error: {e}")
                events = [_failed_event(live.last_event_id, now, step)]
            live.last_event_id = _last_id(events, live.last_event_id)
            live.record = self._finish_record(live.record, step)
            self.transitions += len(events)
            if live.record.express:
                live.events.extend(events)
            pending.setdefault(arn, (live, []))[1].extend(events)
            actions.append((live, step.commands))
            if live.record.status != "RUNNING":
                finished.append(live)
        persisted = [(live, Append(live.record, events, None, live.execution.log_since(live.logged), live.logged))
                     for live, events in pending.values() if not live.record.express]
        self.store.append_many([a for _, a in persisted])
        for live, a in persisted:  # only once committed: after a failed commit the next batch re-sends them
            live.logged = a.log_start + len(a.log)
        for live, _ in pending.values():
            live.published = live.record
        for live, events in pending.values():
            self._notify(live, events)
        for live, cmds in actions:
            self._act(live, cmds)
        for live in finished:
            self._finish(live)

    def _act(self, live: Live, commands: list[C.Command]) -> None:
        arn = live.record.arn
        for cmd in commands:
            if isinstance(cmd, C.StartTimer):
                self.timers.add(arn, cmd.timer_id, cmd.fire_at)
            elif isinstance(cmd, C.CancelTimer):
                self.timers.cancel(arn, cmd.timer_id)
            elif isinstance(cmd, C.RunTask):
                if live.record.status == "RUNNING":
                    self.integrations.run(cmd, TaskContext(self, live.record))
            elif isinstance(cmd, C.CancelTask):
                self.integrations.cancel(arn, cmd.task_id)
            elif isinstance(cmd, C.ReadItems | C.WriteResults):  # a Distributed Map's ItemReader/ResultWriter
                if live.record.status == "RUNNING":
                    self.integrations.item_reader.run(cmd, TaskContext(self, live.record))

    def _notify(self, live: Live, events: list[dict]) -> None:
        if self.on_events is not None and events:
            try:
                self.on_events(live, events)
            except Exception:  # noqa: BLE001 - bookkeeping must not stop the engine
                log.exception("event listener failed")

    def _finish(self, live: Live) -> None:
        arn = live.record.arn
        with self._lock:
            self._live.pop(arn, None)
            listeners = list(live.listeners)
        self.timers.cancel_execution(arn)
        self.integrations.cancel_execution(arn)
        live.done.set()
        for callback in listeners:
            try:
                callback(live.record)
            except Exception:  # noqa: BLE001
                log.exception("execution listener failed")

    def _finish_record(self, record: ExecutionRecord, step: C.Step) -> ExecutionRecord:
        if step.status == "RUNNING":
            return record if record.status == "RUNNING" else replace(record, status="RUNNING", stop_date=None)
        return replace(record, status=step.status, stop_date=self.clock.now(),
                       output=dumps(step.output) if step.status == "SUCCEEDED" else None,
                       error=step.error, cause=step.cause)


def _add_version(events: list[dict], record: ExecutionRecord) -> None:
    """ExecutionStarted names the version (and alias) an execution was started through, as AWS records."""
    if events and events[0].get("type") == "ExecutionStarted" and (record.version_arn or record.alias_arn):
        details = events[0].setdefault("executionStartedEventDetails", {})
        if record.alias_arn:
            details["stateMachineAliasArn"] = record.alias_arn
        details["stateMachineVersionArn"] = record.version_arn


def _last_id(events: list[dict], default: int) -> int:
    return int(events[-1]["id"]) if events else default


def _failed_event(last_id: int, now: float, step: C.Step) -> dict:
    return {"timestamp": now, "type": "ExecutionFailed", "id": last_id + 1, "previousEventId": last_id,
            "executionFailedEventDetails": {"error": step.error, "cause": step.cause}}
