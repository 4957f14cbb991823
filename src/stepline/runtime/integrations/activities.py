"""Activity tasks: a Task state whose Resource is an activity ARN
(``arn:aws:states:<region>:<account>:activity:<name>``) waits for a worker.

Each attempt is queued under its activity with a task token; a worker's GetActivityTask (a long
poll of up to 60 s, as AWS holds it) takes the oldest one, the task is reported started then,
and the worker answers with SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat and the token,
through the same ``Callbacks`` as ``.waitForTaskToken`` tasks.
https://docs.aws.amazon.com/step-functions/latest/dg/concepts-activities.html

The token is derived from (execution, task id): after a restart the re-issued task is queued
again under the same token, so a worker that took it before the restart can still answer.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, replace
from typing import Any

from stepline.asl import commands as C

POLL_SECONDS = 60.0  # AWS holds a GetActivityTask for up to 60 seconds


@dataclass(frozen=True, slots=True)
class _Queued:
    token: str
    input: str
    execution_arn: str
    task_id: str
    ctx: Any


def task_token(execution_arn: str, task_id: str) -> str:
    digest = hashlib.sha256(f"{execution_arn}#{task_id}".encode()).hexdigest()[:32]
    body = json.dumps({"e": execution_arn, "t": task_id, "d": digest}, separators=(",", ":"))
    return base64.urlsafe_b64encode(body.encode()).decode()


class Activities:
    def __init__(self, callbacks: Any) -> None:
        self.callbacks = callbacks
        self.exists: Any = None  # activity ARN -> bool, set by Integrations.bind
        self._lock = threading.Condition()
        self._queues: dict[str, deque[_Queued]] = {}
        self._closed = False

    # --- the integration ---------------------------------------------------------------------

    def run(self, task: C.RunTask, ctx: Any, resource: Any) -> None:
        activity_arn = resource.arn
        if self.exists is not None and not self.exists(activity_arn):
            # the state fails with States.Runtime (ActivityScheduleFailed in the history)
            ctx.report(C.TaskScheduleFailed(task.task_id, "States.Runtime",
                                            f"The activity {activity_arn} does not exist."))
            return
        token = task_token(ctx.record.arn, task.task_id)
        self.callbacks.register(replace(task, task_token=token), ctx)
        text = json.dumps(task.parameters, separators=(",", ":"), ensure_ascii=False)
        with self._lock:
            queue = self._queues.setdefault(activity_arn, deque())
            if not any(q.token == token for q in queue):
                queue.append(_Queued(token, text, ctx.record.arn, task.task_id, ctx))
            self._lock.notify_all()

    def cancel(self, execution_arn: str, task_id: str) -> None:
        self._drop(lambda q: q.execution_arn == execution_arn and q.task_id == task_id)

    def cancel_execution(self, execution_arn: str) -> None:
        self._drop(lambda q: q.execution_arn == execution_arn)

    def _drop(self, match: Any) -> None:
        with self._lock:
            for arn, queue in self._queues.items():
                self._queues[arn] = deque(q for q in queue if not match(q))

    # --- the worker side ---------------------------------------------------------------------

    def poll(self, activity_arn: str, worker_name: str | None, timeout: float = POLL_SECONDS) -> _Queued | None:
        """The oldest task queued for the activity, waiting up to ``timeout`` seconds for one."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                queue = self._queues.get(activity_arn)
                if queue:
                    item = queue.popleft()
                    item.ctx.report(C.TaskStarted(item.task_id, worker_name))  # ActivityStarted's workerName
                    return item
                left = deadline - time.monotonic()
                if left <= 0 or self._closed:
                    return None
                self._lock.wait(left)

    def close(self) -> None:
        """Answer every waiting poll now (with no task), e.g. when the server shuts down."""
        with self._lock:
            self._closed = True
            self._lock.notify_all()
