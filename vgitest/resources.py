"""Where the project's data lives: the repository root in a checkout, `vgitest/_data` in a wheel."""

from __future__ import annotations

from pathlib import Path

_PKG = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """`schemas` or `profiles`: the packaged copy if present, else the checkout's folder."""
    packaged = _PKG / "_data" / name
    if packaged.is_dir():
        return packaged
    return _PKG.parent / name


def suites_dir() -> Path:
    return _PKG.parent / "suites"
