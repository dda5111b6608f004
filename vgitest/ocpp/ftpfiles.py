"""The FTP twin of the HTTP file service (vgitest/ocpp/files.py), for stations that fetch firmware and upload
diagnostics over FTP (OCPP 1.6 locations are often ftp:// URLs): the same `publish`, `upload_location`, `transfers`,
`wait_for` and `write_evidence`, on pyftpdlib (MIT) in a thread of its own.

Faults: not_found (550 to RETR, or to CWD into an upload location), refuse (550 to STOR), bad_file (the stored file
is the corrupted copy). slow and cut are HTTP only: FTP tells a cut transfer by its control channel (426), which
clients read differently, so it is not offered until a case needs it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import secrets
import shutil
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

from .files import (BAD_FILE, CUT, NOT_FOUND, REFUSE, SLOW, FileFault, Transfer, TransferLog, _fault, _utc,
                    corrupt)

USER = "vgitest"
HTTP_ONLY = (SLOW, CUT)


class FtpFileServer(TransferLog):
    """FTP file service for one case: files under /files/<token>/<name>, upload directories /uploads/<token>/; the
    URLs carry the user and password the station logs in with."""

    scheme = "ftp"

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, url_host: str | None = None) -> None:
        TransferLog.__init__(self, host, port, url_host)
        self.password = secrets.token_hex(8)
        self._home = Path(tempfile.mkdtemp(prefix="vgitest-ftp-"))
        self._files: dict[str, tuple[str, bytes, FileFault | None]] = {}  # path -> (name, published data, fault)
        self._dirs: dict[str, FileFault | None] = {}
        self._received: dict[str, dict[str, bytes]] = {}
        self._stop = threading.Event()
        self._server: Any = None
        self._thread: threading.Thread | None = None

    # --- life cycle -----------------------------------------------------------------------------------------------
    def start(self) -> "FtpFileServer":
        from pyftpdlib.authorizers import DummyAuthorizer
        from pyftpdlib.servers import FTPServer
        authorizer = DummyAuthorizer()
        authorizer.add_user(USER, self.password, str(self._home), perm="elradfmw")
        handler = type("_FtpHandler", (_handler_class(),), {"files": self, "authorizer": authorizer,
                                                            "banner": "vgitest file service"})
        self._server = FTPServer((self.host, self.port), handler)
        self.port = self._server.address[1]
        self._thread = threading.Thread(target=self._serve, name="vgitest-ftp", daemon=True)
        self._thread.start()
        return self

    def _serve(self) -> None:
        while not self._stop.is_set():
            self._server.serve_forever(timeout=0.1, blocking=False, handle_exit=False)
        self._server.close_all()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        shutil.rmtree(self._home, ignore_errors=True)

    @property
    def base_url(self) -> str:
        return f"ftp://{USER}:{self.password}@{self.netloc_host}:{self.port}"

    # --- what a case offers -----------------------------------------------------------------------------------------
    def publish(self, name: str, data: bytes, fault: FileFault | str | None = None) -> str:
        f = _fault(fault)
        if f is not None and f.kind in HTTP_ONLY + (REFUSE,):
            raise ValueError(f"the FTP service does not offer the {f.kind} fault for a download")
        path = f"/files/{secrets.token_hex(6)}/{name}"
        (self._home / path.lstrip("/")).parent.mkdir(parents=True)
        if f is None or f.kind != NOT_FOUND:
            (self._home / path.lstrip("/")).write_bytes(corrupt(data) if f and f.kind == BAD_FILE else data)
        with self._lock:
            self._files[path] = (name, data, f)
        return self.base_url + urllib.parse.quote(path)

    def upload_location(self, fault: FileFault | str | None = None) -> str:
        f = _fault(fault)
        if f is not None and f.kind in HTTP_ONLY + (BAD_FILE,):
            raise ValueError(f"the FTP service does not offer the {f.kind} fault for an upload")
        path = f"/uploads/{secrets.token_hex(6)}/"
        if f is None or f.kind != NOT_FOUND:
            (self._home / path.strip("/")).mkdir(parents=True)
        with self._lock:
            self._dirs[path] = f
            self._received[path] = {}
        return self.base_url + path

    def uploaded(self, location: str) -> dict[str, bytes]:
        path = urllib.parse.urlsplit(location).path
        with self._lock:
            return dict(self._received.get(path, {}))

    @staticmethod
    def _path_of(url: str) -> str:
        return urllib.parse.unquote(urllib.parse.urlsplit(url).path)  # an FTP path as the server saw it

    def write_evidence(self, folder: Path) -> Path | None:
        with self._lock:
            doc = {"server": f"ftp://{USER}@{self.url_host}:{self.port}",
                   "files": {p: {"name": n, "size": len(d), "sha256": hashlib.sha256(d).hexdigest(),
                                 "fault": dataclasses.asdict(f) if f else None} for p, (n, d, f) in self._files.items()},
                   "upload_locations": {p: {"fault": dataclasses.asdict(f) if f else None,
                                            "received": sorted(self._received.get(p, {}))}
                                        for p, f in self._dirs.items()},
                   "transfers": [t.to_dict() for t in self._transfers]}
        if not doc["files"] and not doc["upload_locations"]:
            return None
        folder.mkdir(parents=True, exist_ok=True)
        out = folder / "transfers.json"
        out.write_text(json.dumps(doc, indent=2), encoding="utf-8")
        return out

    # --- used by the handler ----------------------------------------------------------------------------------------
    def _path(self, fs_path: str) -> str:
        return "/" + os.path.relpath(fs_path, os.path.realpath(self._home)).replace(os.sep, "/")

    def _record(self, t: Transfer) -> None:
        with self._changed:
            self._transfers.append(t)
            self._changed.notify_all()

    def _dir_of(self, path: str) -> tuple[str | None, FileFault | None]:
        with self._lock:
            for d, f in self._dirs.items():
                if path.startswith(d) or path + "/" == d:
                    return d, f
        return None, None


def _handler_class() -> type:
    """The pyftpdlib control handler that records transfers (built on first use: pyftpdlib is imported lazily)."""
    from pyftpdlib.handlers import FTPHandler

    class _Handler(FTPHandler):  # type: ignore[misc,valid-type]
        files: FtpFileServer

        def _transfer(self, kind: str, fs_path: str, status: int, complete: bool, fault: str | None,
                      data: bytes | None = None, name: str | None = None) -> Transfer:
            path = self.files._path(fs_path)
            size = len(data) if data is not None else 0
            return Transfer(kind, "RETR" if kind == "download" else "STOR", path, name or path.rsplit("/", 1)[-1],
                            f"{self.remote_ip}:{self.remote_port}", status, size, size if complete else None,
                            complete, hashlib.sha256(data).hexdigest() if data is not None else None, fault, _utc(),
                            0.0, time.monotonic_ns())

        def ftp_RETR(self, file: str) -> Any:
            path = self.files._path(file)
            entry = self.files._files.get(path)
            fault = entry[2].kind if entry and entry[2] else None
            if not os.path.isfile(file):
                self.files._record(self._transfer("download", file, 550, False, fault))
            return super().ftp_RETR(file)

        def on_file_sent(self, file: str) -> None:
            entry = self.files._files.get(self.files._path(file))
            data = Path(file).read_bytes()
            fault = entry[2].kind if entry and entry[2] else None
            self.files._record(self._transfer("download", file, 226, True, fault, data))

        def on_incomplete_file_sent(self, file: str) -> None:
            self.files._record(self._transfer("download", file, 426, False, None))

        def ftp_CWD(self, path: str) -> Any:
            rel = self.files._path(path)
            d, fault = self.files._dir_of(rel)
            if d is not None and fault is not None and fault.kind == NOT_FOUND:
                self.files._record(self._transfer("upload", path, 550, False, NOT_FOUND))
            return super().ftp_CWD(path)

        def ftp_STOR(self, file: str, mode: str = "w") -> Any:
            d, fault = self.files._dir_of(self.files._path(file))
            if fault is not None and fault.kind == REFUSE:
                self.files._record(self._transfer("upload", file, 550, False, REFUSE))
                self.respond("550 Upload refused (vgitest file service fault).")
                return None
            return super().ftp_STOR(file, mode)

        def on_file_received(self, file: str) -> None:
            data = Path(file).read_bytes()
            path = self.files._path(file)
            d, fault = self.files._dir_of(path)
            with self.files._lock:
                if d is not None:
                    self.files._received[d][path.rsplit("/", 1)[-1]] = data
            self.files._record(self._transfer("upload", file, 226, True, fault.kind if fault else None, data))

        def on_incomplete_file_received(self, file: str) -> None:
            self.files._record(self._transfer("upload", file, 426, False, None))
            try:
                os.remove(file)
            except OSError:
                pass

    return _Handler
