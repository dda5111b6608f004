"""Hypothesis strategies for every OpenADR 2.0b payload, as whole ``oadrPayload`` documents, from oadr_20b.xsd.

The payloads are the alternatives of ``oadrSignedObject``'s choice, read from the schema itself
(:func:`payload_names`), so a schema that adds one adds a strategy. Documents are drawn by the generic builder
(:mod:`vgitest.xmlhttp.strategies`) with the namespace prefixes the 2.0b examples use, without ``ds:Signature``
(optional in the schema; a random one can only fail verification, which is not what a schema fuzz tests) and,
in the ascii (conformance) profile, with ISO 8601 durations that read as durations (the xCal duration pattern
also admits ``P`` or ``PT`` alone). Values are schema-valid, not meaningful: an event's intervals may carry
report payloads the schema allows there; a suite that needs a coherent event builds it from
:mod:`vgitest.openadr.messages` and fuzzes inside it.

Negative data: :func:`mutated_payload` draws a payload and breaks one schema rule (or the XML itself), each
kind labelled with the rule a VEN answering it must follow (:data:`MUTATION_RULES`)."""

from __future__ import annotations

import functools
import os
from collections.abc import Collection
from pathlib import Path

from hypothesis import strategies as st

from ..xmlhttp import mutations as mut
from ..xmlhttp.strategies import Drawn, Limits, Profile, XsdStrategies, iso_durations
from . import rules, schemas
from .namespaces import NS, OADR
from .validator import OadrValidator

__all__ = ["MUTATION_RULES", "PAYLOAD_ROOT", "builder", "mutated_payload", "payload", "payload_bytes",
           "payload_names"]

PAYLOAD_ROOT = f"{{{OADR}}}oadrPayload"
_SIGNED = f"{{{OADR}}}oadrSignedObject"
_SIGNATURE = f"{{{NS['ds']}}}Signature"
_DURATION = f"{{{NS['xcal']}}}DurationValueType"

# What a VEN must do with each kind of broken payload (see vgitest.openadr.rules)
MUTATION_RULES: dict[mut.Kind, str] = {
    **{k: rules.FUZZ_INVALID_DATA for k in mut.SCHEMA_KINDS},
    **{k: rules.FUZZ_MALFORMED for k in mut.SYNTAX_KINDS},
}


def _folder(schema_path: str | os.PathLike[str] | None) -> Path:
    return schemas.schema_dir(schema_path).resolve()


@functools.lru_cache(maxsize=8)
def _builder(folder: Path, profile: Profile, limits: Limits) -> XsdStrategies:
    schema = schemas.xmlschema_schema(folder)
    overrides = {}
    if profile == "ascii":
        pattern = schema.maps.types[_DURATION].patterns
        overrides[_DURATION] = iso_durations("ascii").filter(lambda s: pattern.re_match(s) is not None)
    return XsdStrategies(schema, profile, limits, overrides=overrides, exclude=(_SIGNATURE,),
                         nsmap={p: uri for p, uri in NS.items() if p != "xml"})


def builder(profile: Profile = "ascii", *, limits: Limits = Limits(),
            schema_path: str | os.PathLike[str] | None = None) -> XsdStrategies:
    """The cached strategy builder over oadr_20b.xsd (the pinned wheel's, or `schema_path`)."""
    return _builder(_folder(schema_path), profile, limits)


def payload_names(schema_path: str | os.PathLike[str] | None = None) -> tuple[str, ...]:
    """Local names of every payload an ``oadrSignedObject`` may carry, in schema order."""
    signed = builder(schema_path=schema_path).global_element(_SIGNED)
    return tuple(p.local_name for p in signed.type.content.iter_elements())


def payload(name: str, *, profile: Profile = "ascii", limits: Limits = Limits(),
            schema_path: str | os.PathLike[str] | None = None) -> st.SearchStrategy[Drawn]:
    """Schema-valid ``oadrPayload`` documents carrying payload `name` (``oadrDistributeEvent``, ...)."""
    if name not in payload_names(schema_path):
        raise ValueError(f"{name} is not an OpenADR 2.0b payload (known: {', '.join(payload_names(schema_path))})")
    return builder(profile, limits=limits, schema_path=schema_path).element(
        PAYLOAD_ROOT, only={_SIGNED: (f"{{{OADR}}}{name}",)})


def payload_bytes(name: str, *, profile: Profile = "ascii", limits: Limits = Limits(),
                  schema_path: str | os.PathLike[str] | None = None) -> st.SearchStrategy[bytes]:
    """:func:`payload` serialised (UTF-8, with an XML declaration): the body a fake VTN sends."""
    return payload(name, profile=profile, limits=limits, schema_path=schema_path).map(Drawn.tostring)


def mutated_payload(name: str, *, profile: Profile = "ascii", kinds: Collection[mut.Kind] = mut.ALL_KINDS,
                    schema_path: str | os.PathLike[str] | None = None) -> st.SearchStrategy[mut.Mutated]:
    """Payload `name` with one mutation of `kinds` that makes it schema-invalid or not well-formed (checked
    against the harness's own validator); ``MUTATION_RULES[m.mutation.kind]`` is the rule a VEN must follow."""
    validator = OadrValidator(schema_path=schema_path)
    return mut.mutated(payload(name, profile=profile, schema_path=schema_path), validator.is_valid, kinds=kinds)
