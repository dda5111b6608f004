"""Which procedures this harness can execute, decided from the procedure alone (before anything runs): every event,
action and check type must be implemented, every endpoint served and every variable known. What is missing is
named by the capability it needs, the reason a NOT_APPLICABLE procedure gives (docs/csip-aus.md lists them)."""

from __future__ import annotations

from . import pricing  # registers the pricing and route types
from .actions import ACTIONS
from .actions import refused as refused_action
from .checks import CHECKS
from .checks import refused as refused_check
from .expressions import ExpressionError, names
from .paths import STORAGE_CONTROL
from .paths import missing as missing_endpoint
from .procedures import Procedure
from .versions import may_use_storage

REQUESTS = ("GET-request-received", "POST-request-received", "PUT-request-received", "DELETE-request-received")
EVENTS = {**{e: f"the client's {e.split('-')[0]} of the endpoint (before the server answers it, or after with "
                "serve_request_first)" for e in REQUESTS},
          "wait": "a time after the step began listening (scaled)",
          "proceed": "the operator's go-ahead: the DUT adapter action cactus_proceed returned (the step, its "
                     "instructions, what to observe), or timeout_seconds (scaled) passed (operator.py)"}
VARIABLES = {"now", "this", "maxImportW", "maxExportW", "setMaxW", "setMaxVA", "setMaxVar", "setMaxVarNeg",
             "setMaxChargeRateW", "setMaxDischargeRateW", "setMinPFOverExcited", "setMinPFUnderExcited", "setMaxWh",
             "setMinWh", "rtgMaxW", "rtgMaxVA", "rtgMaxVar", "rtgMaxVarNeg", "rtgMaxChargeRateW",
             "rtgMaxDischargeRateW", "rtgMinPFOverExcited", "rtgMinPFUnderExcited", "rtgMaxWh", *pricing.VARIABLES}
# the capability behind a type this harness lacks (for the reason and the docs); others are named by their type
CAPABILITY: dict[str, str] = {}


def _need(what: str, fallback: str) -> str:
    return CAPABILITY.get(what, fallback)


def _variables(params: dict) -> set[str]:
    out: set[str] = set()
    for value in params.values():
        for item in value if isinstance(value, list) else [value]:
            try:
                out |= names(item)
            except ExpressionError:
                out.add(str(item))
    return out


def missing(proc: Procedure) -> list[str]:
    """The capabilities `proc` needs that the harness lacks, each once, in a stable order (empty: it executes)."""
    need: list[str] = []
    storage = may_use_storage(proc.target_versions)  # its v1.3-beta storage elements are served (versions.py)
    for step in proc.steps:
        if step.event.type not in EVENTS:
            need.append(_need(step.event.type, f"event {step.event.type}"))
        endpoint = step.event.parameters.get("endpoint")
        if endpoint is not None and (why := missing_endpoint(str(endpoint))):
            need.append(why)
    for action in proc.actions():
        if action.type not in ACTIONS:
            need.append(_need(action.type, f"action {action.type}"))
        need += refused_action(action.parameters)
        if "opModStorageTargetW" in action.parameters and not storage:
            need.append(STORAGE_CONTROL)
        need += [_need(v, f"variable {v}") for v in _variables(action.parameters) - VARIABLES]
        for key in ("endpoint",):
            if key in action.parameters and (why := missing_endpoint(str(action.parameters[key]))):
                need.append(why)
    for chk in proc.checks():
        if chk.type not in CHECKS:
            need.append(_need(chk.type, f"check {chk.type}"))
        need += refused_check(chk.parameters, storage)
        need += [_need(v, f"variable {v}") for v in _variables(chk.parameters) - VARIABLES]
        resource = chk.parameters.get("subscribed_resource")
        if resource is not None and (why := missing_endpoint(str(resource))):
            need.append(why)
        if resource == "/edev":
            need.append(UNSUBSCRIBABLE_EDEV)
    need += pricing.needs(proc)
    if not need and _vacuous(proc):
        need.append(VACUOUS)
    return list(dict.fromkeys(need))


UNSUBSCRIBABLE_EDEV = "a subscribable EndDeviceList (server)"
VACUOUS = "a judgement from telemetry or inspection (only waits and all-steps-complete are executable)"


def _vacuous(proc: Procedure) -> bool:
    """Nothing the client does could fail it: every step is a wait and the only criterion is that the steps
    completed (CACTUS judges such a procedure from the site's telemetry or by inspection). Run, it would pass
    whatever the client did, so it is not run."""
    return all(s.event.type == "wait" and not s.event.checks for s in proc.steps) \
        and all(c.type == "all-steps-complete" for c in proc.criteria)
