"""What the fake VTN holds: programs, events, reports, subscriptions, VENs and their resources, the OAuth clients
and the tokens it issued. Plain dicts in the JSON shape the API carries, behind one lock (the test thread creates
events while the VTN's loop answers the VEN)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import secrets
import threading
import time
from typing import Any

OBJECT_TYPE = {"programs": "PROGRAM", "events": "EVENT", "reports": "REPORT", "subscriptions": "SUBSCRIPTION",
               "vens": "VEN", "resources": "RESOURCE"}


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclasses.dataclass(frozen=True)
class Client:
    """An OAuth client the VTN knows: its secret and its role ("ven" or "bl", the business logic)."""

    client_id: str
    secret: str
    role: str = "ven"


@dataclasses.dataclass
class Token:
    client: Client
    expires: float  # time.monotonic()
    revoked: bool = False
    refused_at: float | None = None  # time.monotonic() of the first 401 that told the VEN it is no longer good


class Store:
    """The VTN's objects by collection name and id (resources by VEN id, then id)."""

    def __init__(self, clients: tuple[Client, ...], token_lifetime_s: int = 3600) -> None:
        self.lock = threading.RLock()
        self.clients = {c.client_id: c for c in clients}
        self.token_lifetime_s = token_lifetime_s
        self.tokens: dict[str, Token] = {}
        self.objects: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in OBJECT_TYPE if name != "resources"}
        self.resources: dict[str, dict[str, dict[str, Any]]] = {}  # venID -> id -> resource
        self.owners: dict[str, str] = {}  # object id -> the client that created it (not part of the object)
        self._ids = itertools.count(1)

    # tokens -----------------------------------------------------------------------------------------------
    def issue(self, client: Client) -> tuple[str, int]:
        token = secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[token] = Token(client, time.monotonic() + self.token_lifetime_s)
        return token, self.token_lifetime_s

    def token(self, value: str) -> Token | None:
        with self.lock:
            return self.tokens.get(value)

    def revoke_all(self) -> int:
        """Every token issued so far stops being good (what an expiry or a key rotation does); how many."""
        with self.lock:
            for t in self.tokens.values():
                t.revoked = True
            return len(self.tokens)

    # objects --------------------------------------------------------------------------------------------
    def new_id(self, collection: str) -> str:
        return f"{OBJECT_TYPE[collection].lower()}-{next(self._ids)}"

    def create(self, collection: str, body: dict[str, Any], *, ven_id: str | None = None,
               owner: str | None = None) -> dict[str, Any]:
        """Store `body` as a new object of `collection` (the VTN assigns id, times and objectType); `owner`: the
        client that created it (None: the business logic)."""
        stamp = now_iso()
        obj = {**body, "id": self.new_id(collection), "createdDateTime": stamp, "modificationDateTime": stamp,
               "objectType": OBJECT_TYPE[collection]}
        with self.lock:
            if owner is not None:
                self.owners[obj["id"]] = owner
            if collection == "resources":
                obj["venID"] = ven_id
                self.resources.setdefault(str(ven_id), {})[obj["id"]] = obj
            else:
                self.objects[collection][obj["id"]] = obj
        return obj

    def replace(self, collection: str, obj_id: str, body: dict[str, Any], *, ven_id: str | None = None) -> dict | None:
        with self.lock:
            table = self._table(collection, ven_id)
            old = table.get(obj_id)
            if old is None:
                return None
            new = {**body, "id": obj_id, "createdDateTime": old["createdDateTime"],
                   "modificationDateTime": now_iso(), "objectType": OBJECT_TYPE[collection]}
            if collection == "resources":
                new["venID"] = ven_id
            table[obj_id] = new
            return new

    def delete(self, collection: str, obj_id: str, *, ven_id: str | None = None) -> dict | None:
        with self.lock:
            return self._table(collection, ven_id).pop(obj_id, None)

    def get(self, collection: str, obj_id: str, *, ven_id: str | None = None) -> dict | None:
        with self.lock:
            return self._table(collection, ven_id).get(obj_id)

    def all(self, collection: str, *, ven_id: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            return list(self._table(collection, ven_id).values())

    def _table(self, collection: str, ven_id: str | None) -> dict[str, dict[str, Any]]:
        if collection == "resources":
            return self.resources.setdefault(str(ven_id), {})
        return self.objects[collection]

    def clear(self, collection: str) -> None:
        with self.lock:
            self.objects[collection].clear()

    def find(self, collection: str, **fields: Any) -> list[dict[str, Any]]:
        """The objects of `collection` whose fields equal `fields`."""
        return [o for o in self.all(collection) if all(o.get(k) == v for k, v in fields.items())]
