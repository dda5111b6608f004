"""Loaded with -p before the run: the toy protocol package becomes vgitest.toyecho, as if it were in vgitest/."""

from pathlib import Path

import vgitest

vgitest.__path__.append(str(Path(__file__).parent))
