"""Time to draw N schema-valid examples of every OCPP message (requests and responses) of 1.6, 2.0.1 and 2.1.

Each example is drawn by vgitest.ocpp.strategies (derandomized, no database, generate phase only) and checked with
the harness's own validator (the official schemas of the pinned `ocpp` package; 2.x's empty-optional rule too); an
invalid one is counted and must be 0. The anchor, measured in the same run: the validator alone on the same
examples (so the drawing cost is the difference). One process, one core.

    .venv/bin/python benchmarks/ocpp_strategies.py                  # 100 examples each, every version, ascii
    .venv/bin/python benchmarks/ocpp_strategies.py --version 2.0.1 --alphabet unicode
"""

from __future__ import annotations

import argparse
import time

from hypothesis import HealthCheck, Phase, given, settings

from vgitest.findings import Severity
from vgitest.ocpp import strategies as S


def run(version: str, n: int, alphabet: str) -> None:
    v = S.validator(version)
    drawn: list[tuple[str, bool, dict]] = []
    invalid, slowest, t0 = 0, ("", 0.0), time.perf_counter()
    for action in S.actions(version):
        for response in (False, True) if v.answered(action) else (False,):  # a 2.1 SEND has no response
            start = time.perf_counter()
            strategy = S.response(version, action, alphabet) if response else S.request(version, action, alphabet)

            @settings(max_examples=n, derandomize=True, database=None, deadline=None, phases=[Phase.generate],
                      suppress_health_check=list(HealthCheck))
            @given(strategy)
            def draw(payload: dict) -> None:
                nonlocal invalid
                drawn.append((action, response, payload))
                if any(f.severity is Severity.FAIL for f in v.validate(action, payload, response)):
                    invalid += 1
            draw()
            took = time.perf_counter() - start
            slowest = max(slowest, (f"{action}{'Response' if response else ''}", took), key=lambda x: x[1])
    total = time.perf_counter() - t0
    a0 = time.perf_counter()
    for action, response, payload in drawn:
        v.validate(action, payload, response)
    anchor = time.perf_counter() - a0
    messages = 2 * len(S.actions(version))
    print(f"OCPP {version} ({alphabet}): {messages} messages x {n} examples ({len(drawn)} drawn) in {total:.1f} s "
          f"(anchor: validating them alone {anchor:.1f} s); slowest {slowest[0]} {slowest[1]:.2f} s; invalid {invalid}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--examples", type=int, default=100)
    ap.add_argument("--version", action="append", choices=("1.6", "2.0.1", "2.1"))
    ap.add_argument("--alphabet", choices=("ascii", "unicode"), default="ascii")
    args = ap.parse_args()
    print(f"command: .venv/bin/python benchmarks/ocpp_strategies.py --examples {args.examples} --alphabet "
          f"{args.alphabet}" + "".join(f" --version {v}" for v in args.version or ()))
    for version in args.version or ("1.6", "2.0.1", "2.1"):
        run(version, args.examples, args.alphabet)


if __name__ == "__main__":
    main()
