"""Schema validation of OCPP payloads against the official JSON schemas of the negotiated version.

The schemas come from the pinned `ocpp` package (or a user path); they are never copied into this
repository. Valid payloads take the fast path (fastjsonschema, compiled once per message); an invalid one
is re-checked with `jsonschema` to list every offending field as its own finding.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import importlib.resources
import json
import os
import threading
import tomllib
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Callable

import fastjsonschema
import jsonschema

from ..findings import RULES, Finding, Severity
from ..resources import data_dir
from ..verdict import HarnessError
from . import rules as r
from .versions import OcppVersion

SCHEMA_ENV = "VGITEST_OCPP_SCHEMAS"


def schema_folder(version: OcppVersion, user_path: str | os.PathLike | None = None) -> Path:
    """The folder holding the version's JSON schemas: a user path, $VGITEST_OCPP_SCHEMAS, or the `ocpp` package."""
    base = user_path or os.environ.get(SCHEMA_ENV)
    if base:
        p = Path(base)
        for cand in (p / version.schema_dir / "schemas", p / version.schema_dir, p):
            if (cand / version.response_schema("Heartbeat")).is_file():
                return cand
        raise HarnessError(f"no OCPP {version.name} schemas under {p} (expected e.g. "
                           f"{p / version.schema_dir / version.response_schema('Heartbeat')})")
    try:
        folder = importlib.resources.files("ocpp") / version.schema_dir / "schemas"
    except ModuleNotFoundError:
        raise HarnessError("the official OCPP schemas come from the pinned 'ocpp' package: run "
                           "`pip install ocpp==2.1.0`, or set VGITEST_OCPP_SCHEMAS to a folder with v16/, v201/, v21/"
                           ) from None
    path = Path(str(folder))
    if not (path / version.response_schema("Heartbeat")).is_file():
        raise HarnessError(f"no OCPP {version.name} schemas at {path}: is another module named 'ocpp' shadowing the "
                           "pinned package? (set VGITEST_OCPP_SCHEMAS to a schema folder to bypass)")
    return path


@dataclasses.dataclass(frozen=True)
class Erratum:
    """A known schema problem: matching schema findings are downgraded to info, with the reason."""

    version: str
    action: str  # glob
    path: str  # glob over the dotted field path
    keyword: str  # JSON-schema keyword, or "*"
    reason: str

    def matches(self, version: str, action: str, path: str, keyword: str) -> bool:
        return (self.version in ("*", version) and fnmatch.fnmatchcase(action, self.action)
                and fnmatch.fnmatchcase(path, self.path) and self.keyword in ("*", keyword))


def load_errata(extra: list[dict[str, str]] | None = None) -> list[Erratum]:
    entries: list[dict[str, str]] = []
    path = data_dir("schemas") / "errata" / "ocpp.toml"
    if path.is_file():
        with path.open("rb") as fh:
            entries += tomllib.load(fh).get("erratum", [])
    entries += extra or []
    return [Erratum(e.get("version", "*"), e.get("action", "*"), e.get("path", "*"), e.get("keyword", "*"),
                    e.get("reason", "allow-listed")) for e in entries]


# Which RPC error code answers a schema failure, by the JSON-schema keyword that failed.
_CODE_BY_KEYWORD = {"type": "type", "required": "occurrence", "minItems": "occurrence", "maxItems": "occurrence",
                    "additionalProperties": "format"}


def _decimal_multiple(error: Any) -> bool:
    """jsonschema tests multipleOf in binary floating point, so -208.7 is "not a multiple of 0.1"; in decimal it is,
    and so says the fast path (fastjsonschema). Such an error is not reported (it would be a false finding)."""
    if error.validator != "multipleOf" or isinstance(error.instance, bool) \
            or not isinstance(error.instance, (int, float)):
        return False
    try:
        return Decimal(str(error.instance)) % Decimal(str(error.validator_value)) == 0
    except (InvalidOperation, ValueError):
        return False


class SchemaValidator:
    """Compiled validators for one OCPP version; thread-safe, compiled lazily per message."""

    def __init__(self, version: OcppVersion, *, schema_path: str | os.PathLike | None = None,
                 lenient: bool = False, errata: list[Erratum] | None = None) -> None:
        self.version = version
        self.folder = schema_folder(version, schema_path)
        self.lenient = lenient
        self.errata = errata if errata is not None else load_errata()
        self._fast: dict[tuple[str, bool], Callable[[Any], Any]] = {}
        self._optional_empty = RULES[r.OPTIONAL_EMPTY].applies_to(version.name)  # 2.x only: asked once, not per frame
        self._schemas: dict[str, dict] = {}
        self._lock = threading.Lock()
        self.actions = self._discover_actions()

    def _discover_actions(self) -> frozenset[str]:
        names = [p.stem for p in self.folder.glob("*.json")]
        if self.version.name == "1.6":
            return frozenset(n for n in names if not n.endswith("Response"))
        # 2.1's unconfirmed messages (SEND, e.g. NotifyPeriodicEventStream) have one schema without a suffix
        return frozenset([n[: -len("Request")] for n in names if n.endswith("Request")]
                         + [n for n in names if not n.endswith(("Request", "Response"))])

    def answered(self, action: str) -> bool:
        """Whether the action has a response (a 2.1 SEND message, e.g. NotifyPeriodicEventStream, has none)."""
        return (self.folder / self.version.response_schema(action)).exists()

    def schema(self, action: str, response: bool) -> dict:
        fname = self.version.response_schema(action) if response else self.version.request_schema(action)
        if not response and not (self.folder / fname).exists():
            fname = f"{action}.json"  # a SEND message's schema (2.1): no Request suffix, no response
        with self._lock:
            s = self._schemas.get(fname)
            if s is None:
                s = json.loads((self.folder / fname).read_text(encoding="utf-8"))
                self._schemas[fname] = s
        return s

    def _compiled(self, action: str, response: bool) -> Callable[[Any], Any]:
        key = (action, response)
        fn = self._fast.get(key)
        if fn is None:
            # use_default=False: validation must never write schema defaults into the DUT's payload (the trace
            # shows exactly what the station sent)
            fn = fastjsonschema.compile(self.schema(action, response), use_default=False)
            with self._lock:
                self._fast[key] = fn
        return fn

    def is_valid(self, action: str, payload: Any, response: bool = False) -> bool:
        """Fast yes/no (the hot path)."""
        try:
            self._compiled(action, response)(payload)
            return True
        except fastjsonschema.JsonSchemaException:
            return False

    def validate(self, action: str, payload: Any, response: bool = False) -> list[Finding]:
        """Every schema and empty-optional-field violation as its own finding (empty list when valid)."""
        if action not in self.actions:
            return []
        findings: list[Finding] = []
        try:
            try:
                self._compiled(action, response)(payload)
            except fastjsonschema.JsonSchemaException as fast_err:
                findings = self._detail(action, payload, response, fast_err)
            if self._optional_empty:  # 2.x only: [] and {} are valid 1.6 values
                findings += self._empty_optionals(action, payload, response)
        except RecursionError:  # valid JSON nested deeper than the validators follow: the harness's limit
            return [Finding.of(r.SCHEMA, f"{action}{'Response' if response else ''}: nested deeper than the schema "
                               "validator can follow; not judged (a harness limitation)", severity=Severity.INFO,
                               side="harness")]
        return findings

    def error_code(self, findings: list[Finding]) -> str:
        """The RPC error code a CSMS answers with for these schema findings (first failing one decides)."""
        for f in findings:
            if f.severity is Severity.FAIL:
                kind = _CODE_BY_KEYWORD.get(f.details.get("keyword", ""), "property")
                if f.rule_id == r.OPTIONAL_EMPTY:
                    kind = "occurrence"
                return {"type": "TypeConstraintViolation", "occurrence": self.version.occurrence_violation,
                        "format": self.version.format_violation}.get(kind, "PropertyConstraintViolation")
        return self.version.format_violation

    # -- details -----------------------------------------------------------------------------------------
    def _detail(self, action: str, payload: Any, response: bool, fast_err: Exception) -> list[Finding]:
        schema = self.schema(action, response)
        cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft6Validator)
        errors = sorted((e for e in cls(schema, format_checker=cls.FORMAT_CHECKER).iter_errors(payload)
                         if not _decimal_multiple(e)), key=lambda e: list(map(str, e.absolute_path)))
        what = f"{action}{'Response' if response else ''}"
        out = []
        for e in errors:
            path = ".".join(str(p) for p in e.absolute_path) or "(payload)"
            out.append(self._finding(action, what, path, str(e.validator), e.message))
        if not out:  # jsonschema saw no error that fastjsonschema saw (e.g. a format it does not check)
            msg = getattr(fast_err, "message", str(fast_err))
            rule = getattr(fast_err, "rule", "") or ""
            path = ".".join(str(p) for p in getattr(fast_err, "path", [])[1:]) or "(payload)"
            out.append(self._finding(action, what, path, str(rule), msg))
        return out

    def _finding(self, action: str, what: str, path: str, keyword: str, message: str) -> Finding:
        severity = Severity.WARN if self.lenient else Severity.FAIL
        note = ""
        for e in self.errata:
            if e.matches(self.version.name, action, path, keyword):
                severity, note = Severity.INFO, f" (known erratum: {e.reason})"
                break
        return Finding.of(r.SCHEMA, f"{what}.{path}: {message}{note}", severity=severity, path=path,
                          keyword=keyword, message_type=what)

    def _empty_optionals(self, action: str, payload: Any, response: bool) -> list[Finding]:
        schema = self.schema(action, response)
        out: list[Finding] = []
        what = f"{action}{'Response' if response else ''}"

        def resolve(s: dict) -> dict:
            ref = s.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/definitions/"):
                return schema.get("definitions", {}).get(ref.rsplit("/", 1)[1], {})
            return s

        def walk(value: Any, s: dict, path: str, depth: int) -> None:
            if depth > 32:
                return
            s = resolve(s)
            if isinstance(value, dict):
                props = s.get("properties", {})
                required = set(s.get("required", []))
                for k, v in value.items():
                    sub = f"{path}.{k}" if path else k
                    if k not in required and (v is None or v == {} or v == []):
                        shown = "null" if v is None else json.dumps(v)
                        out.append(Finding.of(r.OPTIONAL_EMPTY, f"{what}.{sub} is {shown}; an empty optional field "
                                              "must be omitted", severity=None if not self.lenient else Severity.WARN,
                                              path=sub))
                    elif k in props:
                        walk(v, props[k], sub, depth + 1)
            elif isinstance(value, list):
                items = s.get("items", {})
                for i, v in enumerate(value):
                    walk(v, items if isinstance(items, dict) else {}, f"{path}[{i}]", depth + 1)

        if isinstance(payload, dict):
            walk(payload, schema, "", 0)
        return out
