"""An EXI unsigned integer of thousands of digits is malformed input: ExiError, never the ValueError of Python's
int-to-str limit, which the fake SECC took for a harness defect and lost the EV's frame with (issue 13)."""

from __future__ import annotations

import pytest

from vgitest.exi import ExiError, decode
from vgitest.exi.bits import MAX_UINT_GROUPS, BitReader

pytestmark = pytest.mark.usefixtures("schemas_available")

# an ISO-2 V2G_Message whose next field is an unsigned integer: 2200 continuation groups, then a last one
PREFIX = bytes.fromhex("80980230e93efd8e0d910d9094")
HUGE = PREFIX + b"\x80" * 2200 + b"\x01"


def test_an_integer_of_thousands_of_digits_is_an_exi_error() -> None:
    with pytest.raises(ExiError, match="7-bit groups"):
        decode(HUGE, "iso-2")


@pytest.mark.parametrize("groups", [MAX_UINT_GROUPS + 1, 700, 5000])
def test_every_overlong_integer_is_an_exi_error(groups: int) -> None:
    with pytest.raises(ExiError):
        decode(PREFIX + b"\xff" * (groups - 1) + b"\x7f", "iso-2")


def test_the_bound_keeps_every_integer_the_schemas_can_hold() -> None:
    big = (1 << (7 * MAX_UINT_GROUPS)) - 1  # the largest value of MAX_UINT_GROUPS groups
    data = b"\xff" * (MAX_UINT_GROUPS - 1) + b"\x7f"
    assert BitReader(data).read_uint() == big
    with pytest.raises(ExiError):
        BitReader(b"\xff" * MAX_UINT_GROUPS + b"\x7f").read_uint()
