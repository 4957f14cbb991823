"""Checks of each state type's own fields (``check_<type>``), of the fields several types share, Retry and Catch."""

from __future__ import annotations

from typing import Any

from stepline.asl.diagnostics import INVALID_RESOURCE
from stepline.asl.validate_choice import ChoiceChecks
from stepline.asl.validate_fields import (
    DISTRIBUTED_ONLY,
    is_int,
    is_jsonata_expression,
    is_timestamp,
    language_message,
    listed,
)

_RETRY_FIELDS = frozenset({"ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds",
                           "JitterStrategy", "Comment"})
_CATCH_FIELDS = frozenset({"ErrorEquals", "Next", "ResultPath", "Output", "Assign", "Comment"})


class StateChecks(ChoiceChecks):
    """One state's fields; sub-machines (Parallel branches, Map processors) go back to ``scope``."""

    def scope(self, d: dict[str, Any], prefix: str, depth: int) -> None:
        raise NotImplementedError  # the walk over a machine's states, in validate.py

    def common(self, s: dict[str, Any], loc: str, language: str, edges: list[tuple[str, str]]) -> None:
        """Fields shared by several state types, checked once."""
        if language == "JSONata":
            for key, value in s.items():
                if key not in ("Branches", "ItemProcessor", "Iterator", "Choices", "Retry", "Catch", "Assign"):
                    self.jsonata(value, f"{loc}/{key}")
        for key in ("InputPath", "OutputPath"):
            if key in s and language == "JSONPath":
                self.path(s[key], f"{loc}/{key}", nullable=True)
        if "ResultPath" in s and language == "JSONPath":
            self.path(s["ResultPath"], f"{loc}/ResultPath", reference=True, context=False, nullable=True)
        for key in ("Parameters", "ResultSelector", "ItemSelector"):
            if key in s and language == "JSONPath":
                if not isinstance(s[key], dict):
                    self.error(f"The field '{key}' should be an object", f"{loc}/{key}")
                else:
                    self.template(s[key], f"{loc}/{key}")
        if "Assign" in s:
            self.assign(s["Assign"], f"{loc}/Assign", language)
        if "Arguments" in s and not (isinstance(s["Arguments"], dict) or is_jsonata_expression(s["Arguments"])):
            self.error("The field 'Arguments' should be an object or a JSONata expression", f"{loc}/Arguments")
        if "Retry" in s:
            self.retriers(s["Retry"], f"{loc}/Retry", language, None)
        if "Catch" in s:
            self.retriers(s["Catch"], f"{loc}/Catch", language, edges)

    # -- per state type (check_<type>) --


    def check_pass(self, s: dict[str, Any], loc: str, language: str, edges: Any, depth: int) -> None:
        if "Result" in s and isinstance(s["Result"], dict) and any(k.endswith(".$") for k in s["Result"]):
            self.warn("PASS_RESULT_IS_STATIC", "The Result of a Pass state is static: fields ending in '.$' "
                      "are not evaluated (use Parameters)", f"{loc}/Result")

    def check_task(self, s: dict[str, Any], loc: str, language: str, edges: Any, depth: int) -> None:
        resource = s.get("Resource")
        if "Resource" not in s:
            self.error("These fields are required: [Resource]", loc)
        elif not isinstance(resource, str) or not resource.startswith("arn:") or resource.count(":") < 5:
            self.error(f"Value is not a valid resource ARN: {str(resource)[:200]}", f"{loc}/Resource",
                       INVALID_RESOURCE)
        elif self.express and resource.endswith(".waitForTaskToken"):
            # AWS's message ends with a space
            self.error("Express state machine does not support '.waitForTaskToken' service integration ",
                       f"{loc}/Resource")
        for field in ("TimeoutSeconds", "HeartbeatSeconds"):
            self.exclusive(s, loc, field, f"{field}Path")
            if field in s:
                self.positive_int(s, field, loc, language)
            if f"{field}Path" in s:
                self.path(s[f"{field}Path"], f"{loc}/{field}Path", reference=True, context=False)
        timeout, heartbeat = s.get("TimeoutSeconds"), s.get("HeartbeatSeconds")
        if is_int(timeout) and is_int(heartbeat) and heartbeat >= timeout:
            self.error("The field 'HeartbeatSeconds' should be smaller than 'TimeoutSeconds'",
                       f"{loc}/HeartbeatSeconds")
        if "Credentials" in s and not isinstance(s["Credentials"], dict):
            self.error("The field 'Credentials' should be an object", f"{loc}/Credentials")
        elif "Credentials" in s and language == "JSONPath":
            self.template(s["Credentials"], f"{loc}/Credentials")

    def check_wait(self, s: dict[str, Any], loc: str, language: str, edges: Any, depth: int) -> None:
        fields = ("Seconds", "Timestamp", "SecondsPath", "TimestampPath")
        present = [f for f in fields if f in s]
        if not present:
            self.error(f"One of these fields is required: {listed(fields)}", loc)
        self.exclusive(s, loc, *fields)
        if "Seconds" in s:
            self.positive_int(s, "Seconds", loc, language, low=0)
        if "Timestamp" in s and not (language == "JSONata" and is_jsonata_expression(s["Timestamp"])):
            if not is_timestamp(s["Timestamp"]):
                self.error("The field 'Timestamp' should be an RFC3339 timestamp such as "
                           "'2016-03-14T01:59:00Z'", f"{loc}/Timestamp")
        for field in ("SecondsPath", "TimestampPath"):
            if field in s:
                self.path(s[field], f"{loc}/{field}", reference=True, context=False)

    def check_succeed(self, s: dict[str, Any], loc: str, language: str, edges: Any, depth: int) -> None:
        """Nothing beyond the common fields."""

    def check_fail(self, s: dict[str, Any], loc: str, language: str, edges: Any, depth: int) -> None:
        for field in ("Error", "Cause"):
            self.exclusive(s, loc, field, f"{field}Path")
            value = s.get(field)
            if field in s and not isinstance(value, str):
                self.error(f"The field '{field}' should be a string", f"{loc}/{field}")
            if f"{field}Path" in s:
                self.path(s[f"{field}Path"], f"{loc}/{field}Path", reference=True, intrinsic=True)

    def retriers(self, items: Any, loc: str, language: str, edges: Any) -> None:
        catch = edges is not None
        field = "Catch" if catch else "Retry"
        if not isinstance(items, list):
            self.error(f"The field '{field}' should be an array", loc)
            return
        allowed = _CATCH_FIELDS if catch else _RETRY_FIELDS
        for i, item in enumerate(items):
            here = f"{loc}[{i}]"
            if not isinstance(item, dict):
                self.error(f"A {'Catcher' if catch else 'Retrier'} should be an object", here)
                continue
            for key in item:
                if key not in allowed:
                    self.error(f"Field '{key}' is not supported", here)
                elif language == "JSONata" and key == "ResultPath":
                    self.error(language_message("JSONata", key), here)
                elif language == "JSONPath" and key == "Output":
                    self.error(language_message("JSONPath", key), here)
            errors = item.get("ErrorEquals")
            if "ErrorEquals" not in item:
                self.error("These fields are required: [ErrorEquals]", here)
            elif not isinstance(errors, list) or not errors or not all(isinstance(e, str) for e in errors):
                self.error("The field 'ErrorEquals' should be a non-empty array of strings", f"{here}/ErrorEquals")
            elif "States.ALL" in errors:
                if len(errors) > 1:
                    self.error("'States.ALL' must appear alone in 'ErrorEquals'", f"{here}/ErrorEquals")
                if i != len(items) - 1:
                    self.error(f"The {'Catcher' if catch else 'Retrier'} with 'States.ALL' must be the last one",
                               f"{here}/ErrorEquals")
            if catch:
                self.catcher(item, here, language, edges)
            else:
                self.retrier(item, here)

    def catcher(self, item: dict[str, Any], here: str, language: str, edges: Any) -> None:
        if "Next" not in item:
            self.error("These fields are required: [Next]", here)
        else:
            self.target(item["Next"], f"{here}/Next", edges)
        if "ResultPath" in item and language == "JSONPath":
            self.path(item["ResultPath"], f"{here}/ResultPath", reference=True, context=False, nullable=True)
        if "Assign" in item:
            self.assign(item["Assign"], f"{here}/Assign", language)
        if "Output" in item and language == "JSONata":
            self.jsonata(item["Output"], f"{here}/Output")

    def retrier(self, item: dict[str, Any], here: str) -> None:
        limits = {"IntervalSeconds": (1, 99999999), "MaxAttempts": (0, 99999999), "MaxDelaySeconds": (1, 31622400)}
        for key, (low, high) in limits.items():
            if key in item:
                self.number(item, key, f"{here}/{key}", "JSONPath", low, high)
        if "BackoffRate" in item:
            self.number(item, "BackoffRate", f"{here}/BackoffRate", "JSONPath", 1.0, float("inf"), integer=False)
        if "JitterStrategy" in item and item["JitterStrategy"] not in ("FULL", "NONE"):
            self.error("The field 'JitterStrategy' should be one of [FULL, NONE]", f"{here}/JitterStrategy")

    def check_parallel(self, s: dict[str, Any], loc: str, language: str, edges: Any, depth: int) -> None:
        branches = s.get("Branches")
        if "Branches" not in s:
            self.error("These fields are required: [Branches]", loc)
        elif not isinstance(branches, list) or not branches:
            self.error("The field 'Branches' should be a non-empty array", f"{loc}/Branches")
        else:
            for i, branch in enumerate(branches):
                self.sub_machine(branch, f"{loc}/Branches[{i}]", frozenset({"StartAt", "States", "Comment"}), depth)

    def sub_machine(self, d: Any, loc: str, allowed: frozenset[str], depth: int) -> None:
        if not isinstance(d, dict):
            self.error("The value should be an object with StartAt and States", loc)
            return
        for key in d:
            if key not in allowed:
                self.error(f"Field '{key}' is not supported", loc)
        self.scope(d, loc, depth + 1)

    def check_map(self, s: dict[str, Any], loc: str, language: str, edges: Any, depth: int) -> None:
        self.exclusive(s, loc, "ItemProcessor", "Iterator")
        self.exclusive(s, loc, "ItemSelector", "Parameters")
        if "ItemProcessor" not in s and "Iterator" not in s:
            self.error("These fields are required: [ItemProcessor]", loc)
        mode = "INLINE"
        for field in ("ItemProcessor", "Iterator"):
            if field not in s:
                continue
            processor = s[field]
            allowed = frozenset({"StartAt", "States", "Comment", "ProcessorConfig"})
            self.sub_machine(processor, f"{loc}/{field}", allowed, depth)
            config = processor.get("ProcessorConfig") if isinstance(processor, dict) else None
            if isinstance(processor, dict) and "ProcessorConfig" in processor:
                mode = self.processor_config(config, f"{loc}/{field}/ProcessorConfig")
        if "ItemsPath" in s:
            self.path(s["ItemsPath"], f"{loc}/ItemsPath", reference=True)
        items = s.get("Items")
        if "Items" in s and not (isinstance(items, list) or is_jsonata_expression(items)):
            self.error("The field 'Items' should be an array or a JSONata expression", f"{loc}/Items")
        # https://docs.aws.amazon.com/step-functions/latest/dg/state-map-distributed.html (limits)
        for field, low, high in (("MaxConcurrency", 0, 2**31 - 1), ("ToleratedFailureCount", 0, 2**31 - 1),
                                 ("ToleratedFailurePercentage", 0.0, 100.0)):
            self.exclusive(s, loc, field, f"{field}Path")
            if field in s:
                self.number(s, field, f"{loc}/{field}", language, low, high, integer=isinstance(low, int))
            if f"{field}Path" in s:
                self.path(s[f"{field}Path"], f"{loc}/{field}Path", reference=True, context=False)
        for field, template in (("ItemReader", "Parameters"), ("ItemBatcher", "BatchInput"),
                                ("ResultWriter", "Parameters")):
            if field in s and not isinstance(s[field], dict):
                self.error(f"The field '{field}' should be an object", f"{loc}/{field}")
            elif field in s and language == "JSONPath" and isinstance(s[field].get(template), dict):
                self.template(s[field][template], f"{loc}/{field}/{template}")
        label = s.get("Label")
        if "Label" in s and (not isinstance(label, str) or not 0 < len(label) <= 40):
            self.error("The field 'Label' should be a string of 1 to 40 characters", f"{loc}/Label")
        if mode == "INLINE":
            for field in DISTRIBUTED_ONLY:
                if field in s:
                    self.warn("DISTRIBUTED_MAP_ONLY", f"The field '{field}' only takes effect in a Map whose "
                              "ProcessorConfig Mode is DISTRIBUTED", f"{loc}/{field}")

    def processor_config(self, config: Any, loc: str) -> str:
        if not isinstance(config, dict):
            self.error("The field 'ProcessorConfig' should be an object", loc)
            return "INLINE"
        for key in config:
            if key not in ("Mode", "ExecutionType"):
                self.error(f"Field '{key}' is not supported", loc)
        mode = config.get("Mode", "INLINE")
        if mode not in ("INLINE", "DISTRIBUTED"):
            self.error("The field 'Mode' should be one of [INLINE, DISTRIBUTED]", f"{loc}/Mode")
            return "INLINE"
        if "ExecutionType" in config and config["ExecutionType"] not in ("STANDARD", "EXPRESS"):
            self.error("The field 'ExecutionType' should be one of [STANDARD, EXPRESS]", f"{loc}/ExecutionType")
        if mode == "DISTRIBUTED" and "ExecutionType" not in config:
            self.error("These fields are required: [ExecutionType]", loc)
        return str(mode)
