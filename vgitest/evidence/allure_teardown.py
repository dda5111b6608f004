"""Keeps pytest's own fixture bookkeeping out of the Allure report (registered as a plugin when allure-pytest
records, i.e. with ``--alluredir``).

Every fixture's first finalizer is pytest's call of the post-finalizer hook. allure-pytest wraps it like any
finalizer as a tear-down step, but that hook closes the fixture's container before the wrapper can end the step:
each test page showed a ``<lambda>`` tear-down step with unknown status per fixture. The hook below runs outside
allure-pytest's (tryfirst) and puts that one finalizer back unwrapped; the fixtures' real clean-up stays a step,
named "<fixture>: clean-up" instead of allure's "<fixture>::<index>" (a yield fixture's clean-up has no name)."""

from __future__ import annotations

from typing import Any, Iterator

import pytest


def is_post_finalizer(fn: Any) -> bool:
    """pytest's own finalizer that calls pytest_fixture_post_finalizer (a lambda in pytest 8 and 9)."""
    code = getattr(fn, "__code__", None)
    return getattr(fn, "__name__", "") == "<lambda>" and code is not None \
        and "pytest_fixture_post_finalizer" in code.co_names


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_fixture_setup(fixturedef: Any, request: Any) -> Iterator[Any]:
    finalizers = getattr(fixturedef, "_finalizers", None)
    own = finalizers[0] if finalizers and is_post_finalizer(finalizers[0]) else None
    try:
        return (yield)
    finally:
        if own is not None and fixturedef._finalizers and fixturedef._finalizers[0] is not own:
            fixturedef._finalizers[0] = own
        for fin in fixturedef._finalizers or ():
            name = getattr(fin, "_name", None)  # allure's name of a wrapped finalizer: "fixture::<index>" when
            if isinstance(name, str) and name.rpartition("::")[2].isdigit():  # the function has no __name__
                fin._name = f"{fixturedef.argname}: clean-up"
