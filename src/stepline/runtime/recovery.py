"""On start: bring every stored RUNNING execution back.

The snapshot (the execution's start plus the log of every input since, replayed by the
interpreter) rebuilds the whole interpreter state (Map/Parallel branches included) and
``outstanding()`` lists what it was waiting for: timers are re-armed at their original fire time
(so only the remaining time is waited; overdue ones fire at once) and tasks in flight are re-run.
Re-running a Data API submission is safe because its ClientToken is derived from (execution,
task id): the statement service returns the statement already submitted, which re-attaches it
by its id. A nested child is found again by its derived name.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)


def recover(service: Any) -> list[str]:
    """Resume every RUNNING execution; returns their ARNs. One broken execution never blocks the rest."""
    resumed: list[str] = []
    for record in service.store.list_executions(status="RUNNING"):
        if record.express:
            continue
        try:
            if service.resume(record) is not None:
                resumed.append(record.arn)
        except Exception:  # noqa: BLE001 - logged; the others still resume
            log.exception("could not resume %s", record.arn)
    return resumed
