"""What differs between the OpenADR 3 versions the fake VTN plays (3.0.1, 3.1.0): only the differences a VEN meets
on the wire, each resting on a stated fact (docs/openadr3.md, "3.1.0").

3.1.0 is not backwards compatible with 3.0.1 (its changeLog.md says so); the fake VTN plays one version per run,
the one the profile's ``[dut] version`` names.
"""

from __future__ import annotations

import dataclasses

VERSIONS = ("3.0.1", "3.1.0")


@dataclasses.dataclass(frozen=True)
class Dialect:
    """One version's wire differences."""

    version: str
    # the operation names of subscriptions and notifications, by the HTTP method that caused the change
    operations: dict[str, str]
    # route template -> the object a POST/PUT body must be, where it differs from the object the VTN answers
    request_objects: dict[str, str]
    # routes this version has that the other has not (template -> methods), and routes it has not
    extra_routes: dict[str, tuple[str, ...]]
    dropped_routes: tuple[str, ...]
    report_requires_program: bool  # a report names its program (3.0.1) or only its event (3.1.0, issue 253)
    event_window: bool  # GET /events takes dateStart/dateEnd (3.1.0, issue 234)

    @property
    def prefix(self) -> str:
        """The base path of the API (the reference implementation's layout: /openadr3/<version>)."""
        return f"/openadr3/{self.version}"

    def operation(self, method: str) -> str:
        return self.operations[method]


_HTTP_OPS = {"POST": "POST", "PUT": "PUT", "DELETE": "DELETE", "GET": "GET"}
_CRUD_OPS = {"POST": "CREATE", "PUT": "UPDATE", "DELETE": "DELETE", "GET": "READ"}

DIALECTS: dict[str, Dialect] = {
    "3.0.1": Dialect("3.0.1", _HTTP_OPS, {}, {}, (), report_requires_program=True, event_window=False),
    "3.1.0": Dialect("3.1.0", _CRUD_OPS,
                     {"/vens": "venVenRequest", "/vens/{venID}": "venVenRequest"},
                     {"/notifiers": ("GET",)},
                     # resources became first-level objects (/resources, issue 306): not played yet
                     ("/vens/{venID}/resources", "/vens/{venID}/resources/{resourceID}"),
                     report_requires_program=False, event_window=True),
}


def dialect(version: str) -> Dialect:
    """The dialect of `version` (a version the fake VTN does not play is the caller's error)."""
    try:
        return DIALECTS[version]
    except KeyError:
        raise ValueError(f"the fake OpenADR 3 VTN plays {', '.join(VERSIONS)}, not {version!r}") from None
