"""What an OpenADR 3 body is checked against: the user's OpenAPI document, or vgitest's structural checks.

The official OpenAPI document (openadr3.yaml, Apache-2.0, OpenADR Alliance) is not in any package PyPI or npm
carries (checked 2026-12-07: openadr3, python-oa3-client, oadr30-ven-ud, openadr3-client, toadr3 on PyPI; npm
has no OpenADR 3 package), so there is nothing to pin in vgitest.upstream, and vgitest never commits it. So:

- with ``VGITEST_OPENADR3_SPEC`` (or the ``path`` argument) naming a copy of the document (YAML or JSON), every
  body is validated against its ``components/schemas`` with jsonschema (OpenAPI 3.0's ``nullable`` read as a
  JSON Schema null type);
- without it, against :data:`STRUCTURAL`: vgitest's own minimal JSON Schemas of the objects a VEN exchanges
  (required fields, enumerations, types, the limits of ids and names). They are **structural checks, not the
  official schema**, and every finding says which of the two judged it.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import re
from pathlib import Path
from typing import Any

import jsonschema

from ..verdict import HarnessError

ENV_VAR = "VGITEST_OPENADR3_SPEC"
STRUCTURAL_LABEL = "vgitest structural checks (not the official schema)"
OBJECT_TYPES = ("PROGRAM", "EVENT", "REPORT", "SUBSCRIPTION", "VEN", "RESOURCE")
OPERATIONS = ("GET", "POST", "PUT", "DELETE")
MAX_LIMIT = 50  # the largest page a search may ask for (parameter limit)
DURATION = re.compile(r"^-?P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$")


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(required: tuple[str, ...], props: dict[str, Any], object_type: str | None = None) -> dict[str, Any]:
    if object_type is not None:
        props = {"id": _ref("objectID"), "createdDateTime": _ref("dateTime"),
                 "modificationDateTime": _ref("dateTime"), "objectType": {"enum": [object_type]}, **props}
    return {"type": "object", "required": list(required), "properties": props}


_NAME = {"type": "string", "minLength": 1, "maxLength": 128}
_VALUES_MAPS = {"type": "array", "items": _ref("valuesMap")}
STRUCTURAL: dict[str, Any] = {
    "objectID": {"type": "string", "pattern": "^[a-zA-Z0-9_-]*$", "minLength": 1, "maxLength": 128},
    "dateTime": {"type": "string", "format": "date-time"},
    "duration": {"type": "string", "format": "duration"},
    "valuesMap": _object(("type", "values"), {"type": _NAME, "values": {"type": "array"}}),
    "intervalPeriod": _object(("start",), {"start": _ref("dateTime"), "duration": _ref("duration"),
                                           "randomizeStart": _ref("duration")}),
    "interval": _object(("id", "payloads"), {"id": {"type": "integer"}, "intervalPeriod": _ref("intervalPeriod"),
                                             "payloads": {**_VALUES_MAPS, "minItems": 1}}),
    "program": _object(("programName",), {"programName": _NAME, "intervalPeriod": _ref("intervalPeriod"),
                                          "targets": {"type": ["array", "null"], "items": _ref("valuesMap")}},
                       "PROGRAM"),
    "event": _object(("programID", "intervals"), {"programID": _ref("objectID"),
                                                  "eventName": {"type": ["string", "null"]},
                                                  "priority": {"type": ["integer", "null"], "minimum": 0},
                                                  "intervalPeriod": _ref("intervalPeriod"),
                                                  "intervals": {"type": "array", "items": _ref("interval")}}, "EVENT"),
    "resourceReport": _object(("resourceName", "intervals"), {"resourceName": _NAME,
                                                              "intervalPeriod": _ref("intervalPeriod"),
                                                              "intervals": {"type": "array",
                                                                            "items": _ref("interval")}}),
    "report": _object(("programID", "eventID", "clientName", "resources"),
                      {"programID": _ref("objectID"), "eventID": _ref("objectID"), "clientName": _NAME,
                       "reportName": {"type": ["string", "null"]},
                       "resources": {"type": "array", "items": _ref("resourceReport")}}, "REPORT"),
    "objectOperation": _object(("objects", "operations", "callbackUrl"),
                               {"objects": {"type": "array", "minItems": 1, "items": {"enum": list(OBJECT_TYPES)}},
                                "operations": {"type": "array", "minItems": 1, "items": {"enum": list(OPERATIONS)}},
                                "callbackUrl": {"type": "string", "format": "uri"},
                                "bearerToken": {"type": ["string", "null"]}}),
    "subscription": _object(("clientName", "programID", "objectOperations"),
                            {"clientName": _NAME, "programID": _ref("objectID"),
                             "objectOperations": {"type": "array", "minItems": 1, "items": _ref("objectOperation")},
                             "targets": {"type": ["array", "null"], "items": _ref("valuesMap")}}, "SUBSCRIPTION"),
    "resource": _object(("resourceName",), {"resourceName": _NAME, "venID": _ref("objectID"),
                                            "attributes": {"type": ["array", "null"], "items": _ref("valuesMap")}},
                        "RESOURCE"),
    "ven": _object(("venName",), {"venName": _NAME,
                                  "attributes": {"type": ["array", "null"], "items": _ref("valuesMap")},
                                  "targets": {"type": ["array", "null"], "items": _ref("valuesMap")},
                                  "resources": {"type": ["array", "null"], "items": _ref("resource")}}, "VEN"),
    "notification": _object(("objectType", "operation", "object"), {"objectType": {"enum": list(OBJECT_TYPES)},
                                                                   "operation": {"enum": list(OPERATIONS)},
                                                                   "object": {"type": "object"}}),
    "problem": _object((), {"type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                            "detail": {"type": "string"}}),
    "clientCredentialRequest": _object(("grant_type", "client_id", "client_secret"),
                                       {"grant_type": {"enum": ["client_credentials"]},
                                        "client_id": {"type": "string", "minLength": 1},
                                        "client_secret": {"type": "string", "minLength": 1}}),
    "clientCredentialResponse": _object(("access_token", "token_type", "expires_in"),
                                        {"access_token": {"type": "string", "minLength": 1},
                                         "token_type": {"type": "string"}, "expires_in": {"type": "integer"}}),
}

CRUD_OPERATIONS = ("CREATE", "READ", "UPDATE", "DELETE")
_TARGETS_31 = {"type": ["array", "null"], "items": {"type": "string"}}


def structural(version: str = "3.0.1") -> dict[str, Any]:
    """The structural checks of `version`. 3.1.0 (vgitest/openadr3/versions.py; docs/openadr3.md "3.1.0") names
    subscription and notification operations CREATE/READ/UPDATE/DELETE (issue 209), has a VEN write its VEN object
    as a request object of type VEN_VEN_REQUEST without targets (issue 187), lets a report name only its event
    (issue 253) and carries targets as strings (issue 316)."""
    if version != "3.1.0":
        return STRUCTURAL
    out = copy.deepcopy(STRUCTURAL)
    out["objectOperation"]["properties"]["operations"]["items"] = {"enum": list(CRUD_OPERATIONS)}
    out["notification"]["properties"]["operation"] = {"enum": list(CRUD_OPERATIONS)}
    out["report"]["required"] = ["eventID", "clientName", "resources"]
    for name in ("program", "ven", "subscription"):
        out[name]["properties"]["targets"] = _TARGETS_31
    out["venVenRequest"] = _object(("objectType", "venName"), {"objectType": {"enum": ["VEN_VEN_REQUEST"]},
                                                               "venName": _NAME,
                                                               "attributes": {"type": ["array", "null"],
                                                                              "items": _ref("valuesMap")}})
    out["notifiersResponse"] = _object(("WEBHOOK",), {"WEBHOOK": {"type": "boolean"},
                                                      "MQTT": {"type": ["object", "null"]}})
    return out


_FORMATS = jsonschema.FormatChecker(formats=())


@_FORMATS.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    return "T" in value and dt.datetime.fromisoformat(value).tzinfo is not None  # a moment, with its offset


@_FORMATS.checks("duration", raises=ValueError)
def _duration(value: object) -> bool:
    return not isinstance(value, str) or DURATION.match(value) is not None


@_FORMATS.checks("uri", raises=ValueError)
def _uri(value: object) -> bool:
    return not isinstance(value, str) or re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://[^\s/]+", value) is not None


def _nullable(node: Any) -> Any:
    """OpenAPI 3.0's `nullable: true` as JSON Schema: the type admits null (so jsonschema reads the document)."""
    if isinstance(node, dict):
        out = {k: _nullable(v) for k, v in node.items() if k != "nullable"}
        if node.get("nullable") is True and isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
        return out
    if isinstance(node, list):
        return [_nullable(v) for v in node]
    return node


class Schemas:
    """The object schemas bodies are validated against, and the label every finding carries."""

    def __init__(self, components: dict[str, Any], label: str, official: bool,
                 fallback: dict[str, Any] | None = None) -> None:
        self.components = components
        self.label = label
        self.official = official
        self.fallback = STRUCTURAL if fallback is None else fallback  # the structural checks of the version
        self._validators: dict[str, Any] = {}

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None, version: str = "3.0.1") -> "Schemas":
        """The user's OpenAPI document (`path`, else $VGITEST_OPENADR3_SPEC) or the structural checks of
        `version`."""
        user = path if path is not None else os.environ.get(ENV_VAR)
        own = structural(version)
        if not user:
            return cls(own, STRUCTURAL_LABEL, official=False, fallback=own)
        p = Path(user).expanduser()
        try:
            text = p.read_text(encoding="utf-8")
        except OSError as exc:
            raise HarnessError(f"{ENV_VAR}: {p} cannot be read: {exc}") from None
        doc = _parse(text, p)
        comps = doc.get("components", {}).get("schemas") if isinstance(doc, dict) else None
        if not isinstance(comps, dict):
            raise HarnessError(f"{ENV_VAR}: {p} has no components/schemas: is it the OpenADR 3 OpenAPI document?")
        doc_version = str(doc.get("info", {}).get("version", "?"))
        return cls(_nullable(comps), f"OpenAPI document {p.name} (version {doc_version})", official=True,
                   fallback=own)

    def has(self, name: str) -> bool:
        return name in self.components

    def label_for(self, name: str) -> str:
        """What judges the object `name`: the user's document, or the structural checks where it has no such
        object (a document of another version may name an object differently)."""
        if self.official and name not in self.components and name in self.fallback:
            return f"{STRUCTURAL_LABEL}; {self.label} defines no {name}"
        return self.label

    def errors(self, name: str, instance: Any, limit: int = 5) -> list[str]:
        """Up to `limit` readable errors of `instance` as the object `name` (none: it conforms, or neither the
        document nor the structural checks define `name`)."""
        comps = self.components if name in self.components else self.fallback
        if name not in comps:
            return []
        v = self._validators.get(name)
        if v is None:
            schema = {"$ref": f"#/components/schemas/{name}", "components": {"schemas": comps}}
            v = self._validators[name] = jsonschema.Draft202012Validator(schema, format_checker=_FORMATS)
        out = []
        for err in sorted(v.iter_errors(instance), key=lambda e: list(e.absolute_path)):
            where = "/".join(str(x) for x in err.absolute_path) or "(top)"
            out.append(f"{where}: {err.message[:200]}")
            if len(out) >= limit:
                break
        return out


def _parse(text: str, p: Path) -> Any:
    if p.suffix.lower() == ".json":
        try:
            return json.loads(text)
        except ValueError as exc:
            raise HarnessError(f"{ENV_VAR}: {p} is not valid JSON: {exc}") from None
    try:
        import yaml  # type: ignore[import-untyped]
    except ImportError:
        raise HarnessError(f"{ENV_VAR}: reading {p} (YAML) needs PyYAML; install it or give the document as "
                           "JSON") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise HarnessError(f"{ENV_VAR}: {p} is not valid YAML: {exc}") from None
