import os

import pytest

pytest_plugins = ["pytester"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--oracle-full", action="store_true", default=False,
                     help="run every independent implementation's expected-verdict table in full "
                          "(default: the slice marked for CI; see tests/interop/oracle.py)")


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("oracle_full", False):
        from tests.interop.oracle import FULL_ENV
        os.environ[FULL_ENV] = "1"  # xdist workers and suite subprocesses inherit it
