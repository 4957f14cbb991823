"""The ASL interpreter alone, in memory on one core, against moto's ASL engine on the same
definitions: (a) an inline Map whose iterator is Pass -> Choice -> Succeed, (b) a linear chain
of Pass states. A state transition is one state entered. moto runs at the largest size it
completes within its time budget (about 60 s in all).

AWS's 256 KiB payload quota would stop the 100,000-item Map itself (its input and its result are
megabytes); the benchmark measures the engine beyond that quota (``max_payload=None``).
"""

from __future__ import annotations

import gc
import json
import resource
import time
import tracemalloc
from typing import Any

from stepline.asl import history, load
from stepline.asl.interpreter import Execution
from stepline.testing import DEFAULT_CONTEXT

MAP_ITEMS = 100_000
CHAIN_STATES = 10_000
MOTO_BUDGET_SECONDS = 60.0


def map_definition(max_concurrency: int = 0) -> dict[str, Any]:
    return {"StartAt": "M", "States": {"M": {"Type": "Map", "End": True, "MaxConcurrency": max_concurrency,
                                             "ItemProcessor": {
        "StartAt": "P", "States": {
            "P": {"Type": "Pass", "Next": "C"},
            "C": {"Type": "Choice", "Default": "S",
                  "Choices": [{"Variable": "$.n", "NumericGreaterThanEquals": 0, "Next": "S"}]},
            "S": {"Type": "Succeed"}}}}}}


def chain_definition(n: int) -> dict[str, Any]:
    states = {f"S{i}": {"Type": "Pass", "Next": f"S{i + 1}"} for i in range(n - 1)}
    states[f"S{n - 1}"] = {"Type": "Pass", "End": True}
    return {"StartAt": "S0", "States": states}


def map_input(n: int) -> list[dict[str, int]]:
    return [{"n": i} for i in range(n)]


def run_ours(definition: dict[str, Any], value: Any, serialise: bool) -> tuple[int, float, int]:
    """(states entered, seconds, history events); ``serialise`` also builds every event's AWS form."""
    machine = load(definition)
    gc.collect()
    t0 = time.perf_counter()
    _, step = Execution.start(machine, value, DEFAULT_CONTEXT, DEFAULT_CONTEXT.start_time, 1, max_events=None,
                              max_payload=None)
    if serialise:
        for event in step.events:
            history.to_aws(event)
    elapsed = time.perf_counter() - t0
    assert step.status == "SUCCEEDED", (step.status, step.error, step.cause)
    entered = sum(1 for e in step.events if e.type.endswith("StateEntered"))
    return entered, elapsed, len(step.events)


def _moto_run(definition: dict[str, Any], value: Any, deadline: float) -> tuple[int, float] | str:
    import boto3
    from moto import mock_aws

    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        client = boto3.client("stepfunctions", region_name="us-east-1")
        arn = client.create_state_machine(name=f"b{int(time.time() * 1000)}", definition=json.dumps(definition),
                                          roleArn="arn:aws:iam::123456789012:role/bench")["stateMachineArn"]
        t0 = time.perf_counter()
        ex = client.start_execution(stateMachineArn=arn, input=json.dumps(value))["executionArn"]
        while True:
            status = client.describe_execution(executionArn=ex)["status"]
            if status != "RUNNING":
                break
            if time.perf_counter() > deadline:
                return "gave up (time budget)"
            time.sleep(0.01)
        elapsed = time.perf_counter() - t0
        if status != "SUCCEEDED":
            return f"{status}"
        events = client.get_execution_history(executionArn=ex, maxResults=1000)
        entered = 0
        while True:
            entered += sum(1 for e in events["events"] if e["type"].endswith("StateEntered"))
            if "nextToken" not in events:
                break
            events = client.get_execution_history(executionArn=ex, maxResults=1000, nextToken=events["nextToken"])
        return entered, elapsed


def run_moto(kind: str, sizes: list[int], deadline: float) -> tuple[int, int, float] | None:
    """Largest size moto completes before ``deadline``: (size, states entered, seconds)."""
    best = None
    for size in sizes:
        if time.perf_counter() > deadline:
            break
        definition = map_definition() if kind == "map" else chain_definition(size)
        value = map_input(size) if kind == "map" else {"a": 1}
        try:
            result = _moto_run(definition, value, deadline)
        except RecursionError:
            result = "RecursionError"
        except Exception as e:  # noqa: BLE001 - moto's failures are part of the report
            result = f"{type(e).__name__}: {e}"[:120]
        if isinstance(result, str):
            print(f"  moto {kind} size {size}: {result}")
            break
        best = (size, result[0], result[1])
        print(f"  moto {kind} size {size}: {result[0]} states in {result[1]:.2f}s = {result[0] / result[1]:,.0f}/s")
    return best


def main() -> None:
    rates: dict[str, float] = {}
    for kind, definition, value, expected in (
        ("map", map_definition(), map_input(MAP_ITEMS), 3 * MAP_ITEMS + 1),
        ("chain", chain_definition(CHAIN_STATES), {"a": 1}, CHAIN_STATES),
    ):
        entered, cold, events = run_ours(definition, value, serialise=False)
        assert entered == expected, (entered, expected)
        if kind == "map":  # before tracemalloc and the serialising run add their own memory
            print(f"ru_maxrss after the {MAP_ITEMS:,}-item Map: "
                  f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
        # the first run also pays for the process growing to its size (page faults): timed apart
        entered, elapsed, events = run_ours(definition, value, serialise=False)
        print(f"stepline {kind}: first run (process still growing) {entered / cold:,.0f} transitions/s")
        tracemalloc.start()
        run_ours(definition, value, serialise=False)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        _, elapsed_ser, _ = run_ours(definition, value, serialise=True)
        rates[kind] = entered / elapsed
        print(f"stepline {kind}: {entered:,} states ({events:,} events) in {elapsed:.2f}s = "
              f"{entered / elapsed:,.0f} transitions/s; with every event serialised {entered / elapsed_ser:,.0f}/s; "
              f"tracemalloc peak {peak / 1e6:.0f} MB")
    # linear scaling: the Map at a tenth of the size
    small = MAP_ITEMS // 10
    entered, elapsed, _ = run_ours(map_definition(), map_input(small), serialise=False)
    print(f"stepline map at {small:,} items: {entered / elapsed:,.0f} transitions/s (scaling check)")
    print(f"ru_maxrss {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")

    start = time.perf_counter()
    moto_chain = run_moto("chain", [100, 1_000, CHAIN_STATES], start + MOTO_BUDGET_SECONDS / 3)
    moto_map = run_moto("map", [10, 100, 1_000, 10_000], start + MOTO_BUDGET_SECONDS)
    try:
        serial = _moto_run(map_definition(1), map_input(1_000), time.perf_counter() + 20)
    except RecursionError:
        serial = "RecursionError"
    print(f"  moto map of 1,000 items with MaxConcurrency 1: {serial}")
    entered, elapsed, _ = run_ours(map_definition(1), map_input(MAP_ITEMS), serialise=False)
    print(f"stepline map of {MAP_ITEMS:,} items with MaxConcurrency 1: {entered / elapsed:,.0f} transitions/s")
    for kind, result in (("map", moto_map), ("chain", moto_chain)):
        if result is None:
            print(f"moto {kind}: completed no size")
            continue
        size, entered, elapsed = result
        rate = entered / elapsed
        print(f"moto {kind} (size {size:,}): {rate:,.0f} transitions/s; stepline/moto = {rates[kind] / rate:,.0f}x")


if __name__ == "__main__":
    main()
