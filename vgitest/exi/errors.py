"""The single exception type of the EXI codec."""

from __future__ import annotations


class ExiError(ValueError):
    """Malformed EXI input, or a message that does not fit the schema.

    ``bit`` is the bit offset (from the start of the EXI stream, header included) where decoding
    failed, ``state`` a human-readable grammar state (element path and expected events).
    """

    def __init__(self, message: str, bit: int | None = None, state: str | None = None) -> None:
        self.bit = bit
        self.state = state
        parts = [message]
        if bit is not None:
            parts.append(f"at bit {bit}")
        if state:
            parts.append(f"in {state}")
        super().__init__(", ".join(parts))
