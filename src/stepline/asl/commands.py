"""The contract between the pure interpreter and the runtime that drives it.

The interpreter never performs an action. ``Execution.start`` and ``Execution.advance`` return a
``Step``: the new history events (ids assigned, to be persisted first) and the commands the
runtime must act on (run a task, arm a timer, cancel one). The runtime later feeds back what
happened as ``Input`` values. Time arrives as an argument (``now``, epoch seconds); randomness
(UUIDs, MathRandom, retry jitter) comes from a seed stored in the execution's snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

ExecutionStatus = Literal["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"]


@dataclass(frozen=True, slots=True)
class ExecutionContext:
    """What ``$$.Execution`` and ``$$.StateMachine`` expose."""

    execution_arn: str
    execution_name: str
    state_machine_arn: str
    state_machine_name: str
    start_time: float  # epoch seconds
    role_arn: str = "arn:aws:iam::123456789012:role/stepline"
    redrive_count: int = 0


# --- commands: interpreter -> runtime -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RunTask:
    """Run a Task state's resource once (one attempt)."""

    task_id: str  # unique and deterministic within the execution (frame path, state, attempt)
    state_name: str
    resource: str  # the Resource ARN as written in the definition
    parameters: Any  # effective input after InputPath/Parameters (JSONPath) or Arguments (JSONata)
    attempt: int  # 0 for the first try, n for the n-th retry
    timeout_seconds: float | None = None
    heartbeat_seconds: float | None = None
    task_token: str | None = None  # set for .waitForTaskToken resources ($$.Task.Token)


@dataclass(frozen=True, slots=True)
class StartTimer:
    """Feed ``TimerFired(timer_id)`` back at ``fire_at`` (Wait, retry back-off, timeouts)."""

    timer_id: str
    fire_at: float  # epoch seconds


@dataclass(frozen=True, slots=True)
class CancelTask:
    task_id: str


@dataclass(frozen=True, slots=True)
class CancelTimer:
    timer_id: str


@dataclass(frozen=True, slots=True)
class ReadItems:
    """Read a Distributed Map's items through its ItemReader; feed back ``ItemsRead(read_id)``.

    ``resource`` is ``arn:aws:states:::s3:getObject`` or ``arn:aws:states:::s3:listObjectsV2``;
    ``parameters`` the reader's Parameters/Arguments once evaluated (Bucket, Key, Prefix...).
    https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itemreader.html
    """

    read_id: str
    state_name: str
    resource: str
    parameters: Any
    reader_config: Any  # the ReaderConfig object as written (InputType, CSVHeaderLocation...)
    max_items: int = 0  # 0: every item


@dataclass(frozen=True, slots=True)
class WriteResults:
    """Write a Distributed Map's child execution results as ResultWriter does (manifest.json,
    SUCCEEDED_n.json, FAILED_n.json under ``<Prefix>/<map run id>/``); feed back ``ResultsWritten``.
    https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html
    """

    write_id: str
    state_name: str
    resource: str  # arn:aws:states:::s3:putObject
    bucket: str
    prefix: str
    map_run_arn: str
    executions: Any  # one record per child execution, as AWS writes them (ExecutionArn, Input, Status...)
    writer_config: Any = None  # WriterConfig: OutputType JSON|JSONL, Transformation NONE|COMPACT|FLATTEN


Command = RunTask | StartTimer | CancelTask | CancelTimer | ReadItems | WriteResults


# --- inputs: runtime -> interpreter ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TaskStarted:
    """The task began; for an activity, when a worker took it (``worker_name``: GetActivityTask's
    workerName, recorded in ActivityStarted)."""

    task_id: str
    worker_name: str | None = None


@dataclass(frozen=True, slots=True)
class TaskScheduleFailed:
    """The task could not be scheduled (an activity that does not exist): the state fails."""

    task_id: str
    error: str
    cause: str | None = None


@dataclass(frozen=True, slots=True)
class TaskSubmitted:
    """A ``.sync`` integration accepted the job (history: TaskSubmitted); the result comes later."""

    task_id: str
    output: Any


@dataclass(frozen=True, slots=True)
class TaskSucceeded:
    task_id: str
    output: Any


@dataclass(frozen=True, slots=True)
class TaskFailed:
    task_id: str
    error: str
    cause: str


@dataclass(frozen=True, slots=True)
class TaskHeartbeat:
    task_id: str


@dataclass(frozen=True, slots=True)
class TimerFired:
    timer_id: str


@dataclass(frozen=True, slots=True)
class StopRequested:
    error: str | None = None
    cause: str | None = None


@dataclass(frozen=True, slots=True)
class ItemsRead:
    """The items a ``ReadItems`` produced, or its failure (``error`` set: States.ItemReaderFailed)."""

    read_id: str
    items: Any = None
    error: str | None = None
    cause: str | None = None


@dataclass(frozen=True, slots=True)
class ResultsWritten:
    """A ``WriteResults`` done, or failed (``error`` set: States.ResultWriterFailed)."""

    write_id: str
    error: str | None = None
    cause: str | None = None


@dataclass(frozen=True, slots=True)
class MapRunUpdated:
    """UpdateMapRun on a running Distributed Map: the new limits (None: unchanged) take effect at once
    (a larger MaxConcurrency launches more iterations now) and, being an input, survive a restart."""

    map_run_arn: str
    max_concurrency: int | None = None
    tolerated_failure_count: int | None = None
    tolerated_failure_percentage: float | None = None


Input = (TaskStarted | TaskScheduleFailed | TaskSubmitted | TaskSucceeded | TaskFailed | TaskHeartbeat | TimerFired
         | StopRequested | ItemsRead | ResultsWritten | MapRunUpdated)


@dataclass(slots=True)
class Step:
    """The outcome of one start/advance call."""

    events: list[Any] = field(default_factory=list)  # list[history.HistoryEvent], ids assigned
    commands: list[Command] = field(default_factory=list)
    status: ExecutionStatus = "RUNNING"
    output: Any = None  # the execution output when SUCCEEDED
    error: str | None = None  # when FAILED / TIMED_OUT / ABORTED
    cause: str | None = None
