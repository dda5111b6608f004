"""Time to draw N schema-valid examples of every OpenADR 2.0b payload and every IEEE 2030.5 resource.

Each example is drawn by the hypothesis strategies (derandomized, no database), serialised, parsed and validated
with the harness's own validator; an invalid one is counted (and must be 0). One process, one core.

    .venv/bin/python benchmarks/xsd_strategies.py            # 100 examples each, ascii profile
    .venv/bin/python benchmarks/xsd_strategies.py --examples 100 --profile unicode
"""

from __future__ import annotations

import argparse
import time

from hypothesis import HealthCheck, given, settings
from lxml import etree


def run(label: str, names, strategy_for, validator, n: int) -> None:
    total = time.perf_counter()
    worst, invalid, sizes = ("", 0.0), 0, []
    for name in names:
        start = time.perf_counter()

        @settings(max_examples=n, derandomize=True, database=None, deadline=None,
                  suppress_health_check=[HealthCheck.too_slow])
        @given(strategy_for(name))
        def draw(drawn) -> None:
            nonlocal invalid
            data = drawn.tostring()
            sizes.append(len(data))
            if not validator.is_valid(etree.fromstring(data)):
                invalid += 1
        draw()
        took = time.perf_counter() - start
        worst = max(worst, (name, took), key=lambda x: x[1])
    sizes.sort()
    print(f"{label}: {len(names)} messages x {n} examples in {time.perf_counter() - total:.1f} s; slowest "
          f"{worst[0]} {worst[1]:.2f} s; invalid {invalid}; median {sizes[len(sizes) // 2]} B, "
          f"max {sizes[-1]} B")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--examples", type=int, default=100)
    ap.add_argument("--profile", default="ascii", choices=["ascii", "unicode"])
    args = ap.parse_args()
    from vgitest.openadr import strategies as oadr
    from vgitest.openadr.validator import OadrValidator
    from vgitest.sep2 import strategies as sep2
    from vgitest.sep2.validator import Sep2Validator
    n, p = args.examples, args.profile
    run(f"OpenADR 2.0b ({p})", oadr.payload_names(), lambda m: oadr.payload(m, profile=p), OadrValidator(), n)
    for version, csip in (("2018", False), ("2018", True), ("2023", False)):
        label = f"IEEE 2030.5-{version}{' + CSIP-AUS' if csip else ''} ({p})"
        run(label, sep2.resource_names(version, csip_aus=csip),
            lambda m, v=version, c=csip: sep2.resource(m, version=v, csip_aus=c, profile=p),
            Sep2Validator(version, csip), n)


if __name__ == "__main__":
    main()
