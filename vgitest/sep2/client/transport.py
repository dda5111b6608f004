"""The reference DER client's HTTP: one aiohttp session per power-on, 2030.5 bodies out and decoded answers in.

Kept apart so that the parts of the client speak in resources (GET an href, PUT a body) and never see
aiohttp; a transport failure is one of :data:`CONN_ERRORS`, never a server's answer."""

from __future__ import annotations

import asyncio
import ssl
from urllib.parse import urljoin

import aiohttp

from .. import codec
from ..namespaces import MEDIA_TYPE

CONN_ERRORS = (aiohttp.ClientError, asyncio.TimeoutError, OSError, ssl.SSLError)


class Transport:
    """Requests to one server (`base_url`); the outcome of every write that went wrong is noted in `log`."""

    def __init__(self, base_url: str, ssl_context: ssl.SSLContext | None, log: list[str], *,
                 content_type: str = MEDIA_TYPE) -> None:
        self.base_url = base_url
        self.ssl_context = ssl_context
        self.log = log
        self.content_type = content_type  # a fault may declare another media type
        self._http: aiohttp.ClientSession | None = None
        self.ns: dict[str, str] | None = None  # prefix rebinding of the CSIP-AUS version it speaks (None: v1.2)

    def open(self) -> None:
        connector = aiohttp.TCPConnector(ssl=self.ssl_context if self.ssl_context is not None else False)
        self._http = aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=10, connect=5))

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None

    def url(self, href: str) -> str:
        return urljoin(self.base_url + "/", href)

    async def request(self, method: str, href: str, name: str | None = None,
                      body: dict | None = None) -> tuple[int, codec.Decoded | None, dict[str, str]]:
        """One exchange; raises the CONN_ERRORS on transport failure, never for what the server answers."""
        assert self._http is not None, "client not powered on"
        headers = {"Accept": MEDIA_TYPE}
        data = None
        if name is not None:
            data = codec.encode(name, body or {}, ns=self.ns)
            headers["Content-Type"] = self.content_type
        async with self._http.request(method, self.url(href), data=data, headers=headers) as resp:
            raw = await resp.read()
            decoded = codec.decode(raw, ns=self.ns) if raw else None
            return resp.status, decoded, dict(resp.headers)

    async def get(self, href: str) -> tuple[int, codec.Decoded | None, bytes, dict[str, str]]:
        """GET: the status, the decoded answer, its raw bytes (a reader may look at what did not parse) and the
        headers (a refusal's Retry-After)."""
        assert self._http is not None, "client not powered on"
        async with self._http.request("GET", self.url(href), headers={"Accept": MEDIA_TYPE}) as resp:
            raw = await resp.read()
            return resp.status, codec.decode(raw, ns=self.ns) if raw else None, raw, dict(resp.headers)

    async def write(self, method: str, href: str, name: str, body: dict) -> tuple[int, dict[str, str]] | None:
        """PUT/POST with the outcome logged; None on transport failure."""
        try:
            status, _, headers = await self.request(method, href, name, body)
        except CONN_ERRORS as exc:
            self.log.append(f"{method} {href} ({name}): {exc!r}")
            return None
        if status >= 300:
            self.log.append(f"{method} {href} ({name}): HTTP {status}")
        return status, headers
