"""Hypothesis strategies for the IEEE 2030.5 resources the fake server serves and the ones a DER client sends it,
for 2030.5-2018 (± CSIP-AUS v1.2) and 2030.5-2023, from the pinned XSDs (:mod:`vgitest.sep2.schemas`).

Each resource is a global element of the schema, drawn by the generic builder
(:mod:`vgitest.xmlhttp.strategies`) with the 2030.5 namespace as the default one (as the server writes it) and
the CSIP-AUS prefix. A Notification's ``Resource`` is drawn with any type derived from Resource and an
``xsi:type`` naming it, as the server's notifications carry it. Values are schema-valid, not meaningful.

Negative data: :func:`mutated_resource` breaks one schema rule (or the XML itself); the DUT is a client, so
what it must do is not an error code but not acting on the resource and going on working
(:data:`MUTATION_RULES`)."""

from __future__ import annotations

import functools
import os
from collections.abc import Collection
from pathlib import Path

from hypothesis import strategies as st

from ..xmlhttp import mutations as mut
from ..xmlhttp.strategies import Drawn, Limits, Profile, XsdStrategies
from . import rules, schemas
from .namespaces import CSIPAUS, SEP, XSI
from .validator import Sep2Validator

__all__ = ["CLIENT_SENT", "MUTATION_RULES", "RESOURCES", "SERVED", "builder", "mutated_resource", "resource",
           "resource_bytes", "resource_names"]

# What the fake server answers GETs with (vgitest.sep2.handlers) and POSTs to a client (Notification)
SERVED: tuple[str, ...] = (
    "DeviceCapability", "Time", "EndDeviceList", "EndDevice", "Registration", "FunctionSetAssignmentsList",
    "FunctionSetAssignments", "DERProgramList", "DERProgram", "DefaultDERControl", "DERControlList", "DERControl",
    "DERCurveList", "DERCurve", "DERList", "DER", "DERCapability", "DERSettings", "DERStatus", "DERAvailability",
    "ResponseSetList", "ResponseList", "Response", "MirrorUsagePointList", "MirrorUsagePoint", "LogEventList",
    "LogEvent", "SubscriptionList", "Subscription", "Notification",
)
# What a DER client PUTs or POSTs to the server
CLIENT_SENT: tuple[str, ...] = (
    "EndDevice", "Response", "DERControlResponse", "DERCapability", "DERSettings", "DERStatus", "DERAvailability",
    "MirrorUsagePoint", "MirrorMeterReading", "MirrorMeterReadingList", "LogEvent", "Subscription",
)
RESOURCES: tuple[str, ...] = tuple(dict.fromkeys(SERVED + CLIENT_SENT))

# What a client must do with each kind of broken resource (see vgitest.sep2.rules)
MUTATION_RULES: dict[mut.Kind, str] = {
    **{k: rules.FUZZ_INVALID_RESOURCE for k in mut.SCHEMA_KINDS},
    **{k: rules.FUZZ_MALFORMED_RESOURCE for k in mut.SYNTAX_KINDS},
}


@functools.lru_cache(maxsize=16)
def _builder(entry: Path, profile: Profile, limits: Limits) -> XsdStrategies:
    schema = schemas.xmlschema_schema(path=entry.parent, **_variant(entry))
    return XsdStrategies(schema, profile, limits, polymorphic=(f"{{{SEP}}}Resource",),
                         nsmap={None: SEP, "csipaus": CSIPAUS, "xsi": XSI})


def _variant(entry: Path) -> dict:
    if entry.name == schemas.CSIP_AUS_ENTRY:
        return {"version": "2018", "csip_aus": True}
    version = next(v for v, names in schemas.VERSIONS.items() if entry.name in names)
    return {"version": version, "csip_aus": False}


def _entry(version: str, csip_aus: bool, schema_path: str | os.PathLike[str] | None) -> Path:
    return schemas.entry_file(schemas.schema_dir(schema_path).resolve(), version, csip_aus)


def builder(version: str = "2018", *, csip_aus: bool = False, profile: Profile = "ascii",
            limits: Limits = Limits(), schema_path: str | os.PathLike[str] | None = None) -> XsdStrategies:
    """The cached strategy builder over the 2030.5 `version` schema (± CSIP-AUS)."""
    return _builder(_entry(version, csip_aus, schema_path), profile, limits)


def resource_names(version: str = "2018", *, csip_aus: bool = False,
                   schema_path: str | os.PathLike[str] | None = None) -> tuple[str, ...]:
    """The names of :data:`RESOURCES` the schema declares (all of them for 2018)."""
    elements = builder(version, csip_aus=csip_aus, schema_path=schema_path).schema.maps.elements
    return tuple(n for n in RESOURCES if f"{{{SEP}}}{n}" in elements)


def resource(name: str, *, version: str = "2018", csip_aus: bool = False, profile: Profile = "ascii",
             limits: Limits = Limits(), schema_path: str | os.PathLike[str] | None = None
             ) -> st.SearchStrategy[Drawn]:
    """Schema-valid documents of resource `name` (``DERControl``, ``EndDevice``, ...)."""
    return builder(version, csip_aus=csip_aus, profile=profile, limits=limits,
                   schema_path=schema_path).element(f"{{{SEP}}}{name}")


def resource_bytes(name: str, *, version: str = "2018", csip_aus: bool = False, profile: Profile = "ascii",
                   limits: Limits = Limits(), schema_path: str | os.PathLike[str] | None = None
                   ) -> st.SearchStrategy[bytes]:
    """:func:`resource` serialised (UTF-8, with an XML declaration): a body the fake server serves."""
    return resource(name, version=version, csip_aus=csip_aus, profile=profile, limits=limits,
                    schema_path=schema_path).map(Drawn.tostring)


def mutated_resource(name: str, *, version: str = "2018", csip_aus: bool = False, profile: Profile = "ascii",
                     kinds: Collection[mut.Kind] = mut.ALL_KINDS,
                     schema_path: str | os.PathLike[str] | None = None) -> st.SearchStrategy[mut.Mutated]:
    """Resource `name` with one mutation of `kinds` that makes it schema-invalid or not well-formed (checked
    against the harness's own validator); ``MUTATION_RULES[m.mutation.kind]`` is the rule a client must follow."""
    validator = Sep2Validator(version, csip_aus, schema_path=schema_path)
    return mut.mutated(resource(name, version=version, csip_aus=csip_aus, profile=profile,
                                schema_path=schema_path), validator.is_valid, kinds=kinds)
