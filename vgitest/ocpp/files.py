"""File services the harness starts for a case: an HTTP server that the station downloads firmware from and
uploads diagnostics to, with faults a case asks for (404, refused upload, slow or cut transfer, a corrupted
file), and a record of every transfer as evidence.

OCPP hands the station a URL (1.6 UpdateFirmware.location, GetDiagnostics.location) and judges the status
notifications the station sends about the transfer; only a server that saw the bytes can tell whether a
"Downloaded" or "Uploaded" was true. Each transfer is kept as a `Transfer` (what was asked, the HTTP status
given, how many bytes moved, whether the transfer was whole, the SHA-256 of what moved), and the fixture writes
them into the case's evidence folder (`transfers.json`).

The server is the standard library's threading HTTP server on its own thread; every wait is bounded
(a slow transfer by its rate and the file's size, a stalled socket by `socket_timeout`).
"""

from __future__ import annotations

import abc
import dataclasses
import datetime as _dt
import hashlib
import http.server
import json
import secrets
import socket
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any, Callable, Iterator

__all__ = ["FileFault", "FileServer", "Transfer", "NOT_FOUND", "REFUSE", "SLOW", "CUT", "BAD_FILE",
           "reference_image", "image_problem", "corrupt"]

NOT_FOUND, REFUSE, SLOW, CUT, BAD_FILE = "not_found", "refuse", "slow", "cut", "bad_file"
FAULTS = (NOT_FOUND, REFUSE, SLOW, CUT, BAD_FILE)
MAX_UPLOAD = 16 * 1024 * 1024  # bytes of an upload the server keeps; a larger one is refused with 413
CHUNK = 4096


@dataclasses.dataclass(frozen=True)
class FileFault:
    """What goes wrong with one published file or upload location.

    not_found: 404 for every request; refuse: `status` (403) for an upload, without reading it; slow: the
    bytes move at `rate` bytes/s; cut: the transfer stops after `fraction` of the bytes and the connection is
    closed (a download announces the whole length first); bad_file: the download serves the file with bytes
    changed in the middle (same length), so it arrives whole but is not the file that was published."""

    kind: str
    rate: float = 2048.0
    fraction: float = 0.5
    status: int = 403

    def __post_init__(self) -> None:
        if self.kind not in FAULTS:
            raise ValueError(f"unknown file fault {self.kind!r}; known: {', '.join(FAULTS)}")


@dataclasses.dataclass
class Transfer:
    """One request the file server answered: the evidence behind a status notification."""

    kind: str  # "download" or "upload"
    method: str
    path: str
    filename: str | None
    client: str
    status: int
    size: int  # bytes that moved
    expected: int | None  # bytes announced (Content-Length), None when unknown
    complete: bool  # every announced byte moved and the answer was a success
    sha256: str | None
    fault: str | None
    started: str
    duration_s: float
    t_start_ns: int = 0  # time.monotonic_ns() when the request was read: orders it against OCPP frames

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass
class _Published:
    name: str
    data: bytes
    fault: FileFault | None


@dataclasses.dataclass
class _UploadDir:
    fault: FileFault | None
    files: dict[str, bytes] = dataclasses.field(default_factory=dict)


def corrupt(data: bytes) -> bytes:
    """The same length, with bytes in the middle inverted: it arrives whole but is not the published file."""
    if not data:
        return b"\xff"
    mid, span = len(data) // 2, max(1, min(64, len(data) // 4))
    return data[:mid] + bytes(b ^ 0xFF for b in data[mid:mid + span]) + data[mid + span:]


# --- the reference firmware image: what the reference stations accept as valid firmware -------------------------
IMAGE_MAGIC = b"VGITEST-FIRMWARE-1\n"


def reference_image(version: str, size: int = 32 * 1024) -> bytes:
    """A firmware image the reference stations install: a header naming the version and the SHA-256 of the
    payload, then the payload. Real stations have formats of their own (PIXIT firmware_image)."""
    payload = hashlib.shake_256(version.encode()).digest(size)
    header = json.dumps({"version": version, "size": size, "sha256": hashlib.sha256(payload).hexdigest()})
    return IMAGE_MAGIC + header.encode() + b"\n" + payload


def image_problem(data: bytes) -> tuple[str | None, str | None]:
    """(version, None) for a valid reference image, (None, why) otherwise."""
    if not data.startswith(IMAGE_MAGIC):
        return None, "not a vgitest firmware image (magic)"
    head, sep, payload = data[len(IMAGE_MAGIC):].partition(b"\n")
    if not sep:
        return None, "no header line"
    try:
        meta = json.loads(head)
    except ValueError:
        return None, "header is not JSON"
    if not isinstance(meta, dict) or len(payload) != meta.get("size"):
        return None, "payload length differs from the header"
    if hashlib.sha256(payload).hexdigest() != meta.get("sha256"):
        return None, "payload checksum differs from the header"
    return str(meta.get("version")), None


def _utc() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class TransferLog(abc.ABC):
    """What the HTTP and the FTP file servers share: where they listen and the host their URLs name, their use as a
    context manager, and the transfers they recorded, behind one lock, with a bounded wait for one. A server appends
    under ``self._changed`` and notifies; ``_path_of`` reads a URL's path its own way."""

    def __init__(self, host: str, port: int, url_host: str | None) -> None:
        self.host, self.port = host, port
        self.url_host = url_host or ("127.0.0.1" if host in ("", "0.0.0.0", "::") else host)
        self._transfers: list[Transfer] = []
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)

    @staticmethod
    def _path_of(url: str) -> str:
        return urllib.parse.urlsplit(url).path

    @property
    def transfers(self) -> list[Transfer]:
        with self._lock:
            return list(self._transfers)

    def transfers_for(self, url: str) -> list[Transfer]:
        """The transfers of one published file, or into one upload location."""
        path = self._path_of(url)
        return [t for t in self.transfers if t.path == path or (path.endswith("/") and t.path.startswith(path))]

    @abc.abstractmethod
    def start(self) -> "TransferLog":
        """Listen (each server its own protocol); returns the server."""

    @abc.abstractmethod
    def stop(self) -> None:
        """Stop listening."""

    def __enter__(self) -> "TransferLog":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def netloc_host(self) -> str:
        """The URL host as a URL writes it (an IPv6 address in brackets)."""
        return f"[{self.url_host}]" if ":" in self.url_host else self.url_host

    def wait_for(self, pred: Callable[[Transfer], bool], timeout: float) -> Transfer | None:
        """The first transfer that satisfies `pred`, waiting at most `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                hit = next((t for t in self._transfers if pred(t)), None)
                left = deadline - time.monotonic()
                if hit is not None or left <= 0:
                    return hit
                self._changed.wait(min(left, 0.5))


class FileServer(TransferLog):
    """HTTP file service for one case (or a script): `publish` a file to download, `upload_location` a directory
    to upload into, read `transfers` afterwards.

    ``url_host`` is the host written into URLs (the address the station reaches the server at); by default the
    bind address, or 127.0.0.1 when binding to every interface."""

    scheme = "http"

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, url_host: str | None = None,
                 socket_timeout: float = 10.0, max_duration: float = 60.0) -> None:
        self.socket_timeout = socket_timeout
        self.max_duration = max_duration  # a slow transfer never runs longer than this
        self._files: dict[str, _Published] = {}
        self._dirs: dict[str, _UploadDir] = {}
        TransferLog.__init__(self, host, port, url_host)
        self._httpd: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- life cycle ---------------------------------------------------------------------------------------------
    def start(self) -> "FileServer":
        handler = type("_Handler", (_Handler,), {"files": self, "timeout": self.socket_timeout})
        self._httpd = http.server.ThreadingHTTPServer((self.host, self.port), handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="vgitest-files", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    @property
    def base_url(self) -> str:
        return f"http://{self.netloc_host}:{self.port}"

    # --- what a case offers ---------------------------------------------------------------------------------------
    def publish(self, name: str, data: bytes, fault: FileFault | str | None = None) -> str:
        """Serve `data` as `name`; the URL to hand to the station (a fresh path each time)."""
        token = secrets.token_hex(6)
        path = f"/files/{token}/{urllib.parse.quote(name)}"
        with self._lock:
            self._files[path] = _Published(name, data, _fault(fault))
        return self.base_url + path

    def upload_location(self, fault: FileFault | str | None = None) -> str:
        """A directory URL (ending in /) the station uploads into: PUT <dir><file>, or POST to <dir> or <dir><file>
        (a multipart/form-data body is taken apart: the file part is kept)."""
        token = secrets.token_hex(6)
        path = f"/uploads/{token}/"
        with self._lock:
            self._dirs[path] = _UploadDir(_fault(fault))
        return self.base_url + path

    def uploaded(self, location: str) -> dict[str, bytes]:
        """The files uploaded whole into `location` so far, by name."""
        path = urllib.parse.urlsplit(location).path
        with self._lock:
            d = self._dirs.get(path)
            return dict(d.files) if d else {}

    def write_evidence(self, folder: Path) -> Path | None:
        """`transfers.json` in the case's evidence folder (none when nothing was offered)."""
        with self._lock:
            offered = {"files": {p: {"name": f.name, "size": len(f.data), "sha256": hashlib.sha256(f.data).hexdigest(),
                                     "fault": dataclasses.asdict(f.fault) if f.fault else None}
                                 for p, f in self._files.items()},
                       "upload_locations": {p: {"fault": dataclasses.asdict(d.fault) if d.fault else None,
                                                "received": sorted(d.files)} for p, d in self._dirs.items()},
                       "transfers": [t.to_dict() for t in self._transfers]}
        if not offered["files"] and not offered["upload_locations"]:
            return None
        folder.mkdir(parents=True, exist_ok=True)
        out = folder / "transfers.json"
        out.write_text(json.dumps({"server": self.base_url, **offered}, indent=2), encoding="utf-8")
        return out

    # --- used by the handler ------------------------------------------------------------------------------------
    def _record(self, t: Transfer, t_start_ns: int) -> None:
        t.t_start_ns = t_start_ns
        with self._changed:
            self._transfers.append(t)
            self._changed.notify_all()

    def _lookup(self, path: str) -> tuple[_Published | None, _UploadDir | None, str | None]:
        """The published file at `path`, or the upload directory `path` falls in and the file name it gives."""
        with self._lock:
            if path in self._files:
                return self._files[path], None, None
            for d, up in self._dirs.items():
                if path == d or path + "/" == d:
                    return None, up, None
                if path.startswith(d) and "/" not in path[len(d):]:
                    return None, up, urllib.parse.unquote(path[len(d):]) or None
        return None, None, None


def _fault(f: FileFault | str | None) -> FileFault | None:
    return FileFault(f) if isinstance(f, str) else f


class _Handler(http.server.BaseHTTPRequestHandler):
    files: FileServer
    protocol_version = "HTTP/1.1"
    server_version = "vgitest-files/1"

    def log_message(self, format: str, *args: Any) -> None:  # the record is the log; no stderr noise
        return

    def _begin(self) -> tuple[float, str, str]:
        self._t_start_ns = time.monotonic_ns()
        return time.monotonic(), _utc(), urllib.parse.urlsplit(self.path).path

    def _record(self, t: Transfer) -> None:
        self.files._record(t, self._t_start_ns)

    def _client(self) -> str:
        host, port = self.client_address[:2]
        return f"{host}:{port}"

    def _answer(self, status: int, body: bytes = b"", close: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    # --- downloads ----------------------------------------------------------------------------------------------
    def do_GET(self) -> None:
        t0, started, path = self._begin()
        pub, _, _ = self.files._lookup(path)
        fault = pub.fault if pub else None
        if pub is None or (fault and fault.kind == NOT_FOUND):
            self._record(Transfer("download", "GET", path, pub.name if pub else None, self._client(), 404, 0,
                                  None, False, None, fault.kind if fault else None, started, time.monotonic() - t0))
            self._answer(404, b"not found\n")  # recorded first: whatever the client saw is in the record
            return
        data = corrupt(pub.data) if fault and fault.kind == BAD_FILE else pub.data
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(data)))
        if fault and fault.kind == CUT:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        limit = int(len(data) * fault.fraction) if fault and fault.kind == CUT else len(data)
        sent = self._send_body(data[:limit], fault)
        if fault and fault.kind == CUT:
            self._drop()
        whole = sent == len(data)
        self._record(Transfer("download", "GET", path, pub.name, self._client(), 200, sent, len(data), whole,
                                    hashlib.sha256(data[:sent]).hexdigest(), fault.kind if fault else None, started,
                                    time.monotonic() - t0))

    def do_HEAD(self) -> None:
        _, _, path = self._begin()
        pub, _, _ = self.files._lookup(path)
        if pub is None or (pub.fault and pub.fault.kind == NOT_FOUND):
            self._answer(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(pub.data)))
        self.end_headers()

    def _send_body(self, data: bytes, fault: FileFault | None) -> int:
        """Write `data` (at the fault's rate when slow); the bytes written before the peer went away."""
        sent, deadline = 0, time.monotonic() + self.files.max_duration
        step = CHUNK
        if fault and fault.kind == SLOW:
            step = max(1, int(fault.rate / 10))  # ten writes a second
        try:
            while sent < len(data) and time.monotonic() < deadline:
                chunk = data[sent:sent + step]
                self.wfile.write(chunk)
                self.wfile.flush()
                sent += len(chunk)
                if fault and fault.kind == SLOW:
                    time.sleep(len(chunk) / fault.rate)
        except OSError:
            self.close_connection = True
        return sent

    def _drop(self) -> None:
        """Cut the connection now (no orderly end of the body)."""
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # --- uploads ------------------------------------------------------------------------------------------------
    def do_PUT(self) -> None:
        self._upload("PUT")

    def do_POST(self) -> None:
        self._upload("POST")

    def _upload(self, method: str) -> None:
        t0, started, path = self._begin()
        _, up, name = self.files._lookup(path)
        fault = up.fault if up else None
        length = self.headers.get("Content-Length")
        expected = int(length) if length and length.isdigit() else None

        def record(status: int, size: int, complete: bool, fname: str | None, digest: str | None) -> None:
            self._record(Transfer("upload", method, path, fname, self._client(), status, size, expected,
                                        complete, digest, fault.kind if fault else None, started,
                                        time.monotonic() - t0))

        if up is None or (fault and fault.kind in (NOT_FOUND, REFUSE)):
            status = fault.status if fault and fault.kind == REFUSE else 404
            record(status, 0, False, name, None)
            self._answer(status, b"upload refused\n", close=True)  # the body is not read: close
            return
        if expected is None or expected > MAX_UPLOAD:
            status = 411 if expected is None else 413
            record(status, 0, False, name, None)
            self._answer(status, b"", close=True)
            return
        limit = int(expected * fault.fraction) if fault and fault.kind == CUT else expected
        body = self._read_body(limit, fault)
        if fault and fault.kind == CUT:
            self._drop()
            record(0, len(body), False, name, hashlib.sha256(body).hexdigest())
            return
        if len(body) < expected:  # the client went away
            record(0, len(body), False, name, hashlib.sha256(body).hexdigest())
            return
        fname, content = name, body
        ctype = self.headers.get("Content-Type", "")
        if method == "POST" and ctype.startswith("multipart/form-data"):
            fname, content = _multipart_file(ctype, body, name)
        if not fname:
            fname = self.headers.get("X-File-Name") or "upload.bin"
        with self.files._lock:
            up.files[fname] = content
        record(201 if method == "PUT" else 200, len(body), True, fname, hashlib.sha256(content).hexdigest())
        self._answer(201 if method == "PUT" else 200)

    def _read_body(self, n: int, fault: FileFault | None) -> bytes:
        buf, deadline = bytearray(), time.monotonic() + self.files.max_duration
        step = max(1, int(fault.rate / 10)) if fault and fault.kind == SLOW else CHUNK
        try:
            while len(buf) < n and time.monotonic() < deadline:
                chunk = self.rfile.read(min(step, n - len(buf)))
                if not chunk:
                    break
                buf += chunk
                if fault and fault.kind == SLOW:
                    time.sleep(len(chunk) / fault.rate)
        except OSError:
            self.close_connection = True
        return bytes(buf)


def _multipart_file(ctype: str, body: bytes, default: str | None) -> tuple[str | None, bytes]:
    """The first part with a filename of a multipart/form-data body (the whole body when there is none)."""
    from email.parser import BytesParser
    from email.policy import HTTP
    msg = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + body)
    for part in _parts(msg):
        fname = part.get_filename()
        if fname:
            return fname, part.get_payload(decode=True) or b""
    return default, body


def _parts(msg: Any) -> Iterator[Any]:
    if msg.is_multipart():
        for p in msg.iter_parts():
            yield from _parts(p)
    else:
        yield msg
