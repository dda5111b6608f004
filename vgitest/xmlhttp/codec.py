"""What a body of an XML-over-HTTP protocol decodes to, and the safe parse every decoding starts with."""

from __future__ import annotations

import dataclasses
from typing import Any

from .. import safexml


@dataclasses.dataclass
class Decoded:
    """What one body turned out to be. `doc` is None when the body was refused or could not be parsed."""

    doc: Any = None  # lxml root element (for the validator)
    name: str | None = None  # the message: OpenADR's payload name, or 2030.5's root element as a dict key
    body: Any = None  # dict form of the message
    problems: list[tuple[str, str]] = dataclasses.field(default_factory=list)  # (rule id, message)

    @property
    def ok(self) -> bool:
        return self.doc is not None and not self.problems


def parse(raw: bytes, max_bytes: int, rule_of: dict[str, str]) -> Decoded:
    """The body parsed safely (:func:`vgitest.safexml.parse`), its root in `doc`; or `doc` None and the
    problems, each under the protocol's rule id for that kind of refusal (`rule_of`). Never raises."""
    root, problems = safexml.parse(raw, max_bytes)
    if root is None:
        return Decoded(problems=[(rule_of[kind], text) for kind, text in problems])
    return Decoded(doc=root)
