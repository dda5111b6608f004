"""Bit-packed reader and writer (EXI alignment "bit-packed", most significant bit first).

The reader holds the whole input as one Python int so that reading n bits is a shift and a mask, and a
run of bytes (hexBinary, ASCII strings) comes out in a single operation. Every read checks the remaining
length, so malformed lengths fail fast instead of allocating.
"""

from __future__ import annotations

from .errors import ExiError

# An EXI Unsigned Integer has no length limit, but no value of the ISO 15118 / DIN schemas needs more than 64 bits
# (10 groups); 128 groups (896 bits) is far beyond any of them and far below Python's 4300-digit int-to-str limit,
# which turned a thousands-of-digits integer into a ValueError instead of an ExiError (issue 13).
MAX_UINT_GROUPS = 128


class BitReader:
    __slots__ = ("val", "nbits", "pos", "depth")

    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.val = int.from_bytes(data, "big")
        self.nbits = len(data) * 8
        self.pos = pos
        self.depth = 0

    def remaining(self) -> int:
        return self.nbits - self.pos

    def read(self, n: int) -> int:
        pos = self.pos + n
        if pos > self.nbits:
            raise ExiError(f"unexpected end of input reading {n} bits", self.pos)
        self.pos = pos
        return (self.val >> (self.nbits - pos)) & ((1 << n) - 1)

    def read_bit(self) -> int:
        pos = self.pos
        if pos >= self.nbits:
            raise ExiError("unexpected end of input", pos)
        self.pos = pos + 1
        return (self.val >> (self.nbits - pos - 1)) & 1

    def read_uint(self) -> int:
        """EXI Unsigned Integer: 7-bit groups, least significant first, high bit = more follows."""
        result = 0
        shift = 0
        val = self.val
        nbits = self.nbits
        pos = self.pos
        end = pos + 8 * MAX_UINT_GROUPS
        while True:
            pos += 8
            if pos > nbits:
                raise ExiError("unexpected end of input in unsigned integer", self.pos)
            if pos > end:
                raise ExiError(f"unsigned integer longer than {MAX_UINT_GROUPS} 7-bit groups", self.pos)
            b = (val >> (nbits - pos)) & 0xFF
            result |= (b & 0x7F) << shift
            if b < 0x80:
                self.pos = pos
                return result
            shift += 7

    def read_bytes(self, n: int) -> bytes:
        if n == 0:
            return b""
        bits = n * 8
        if self.pos + bits > self.nbits:
            raise ExiError(f"length {n} exceeds the remaining input", self.pos)
        return self.read(bits).to_bytes(n, "big")


class BitWriter:
    __slots__ = ("acc", "n", "out")

    def __init__(self) -> None:
        self.acc = 0
        self.n = 0
        self.out = bytearray()

    def write(self, value: int, n: int) -> None:
        self.acc = (self.acc << n) | value
        self.n += n
        if self.n > 2048:
            self._flush()

    def _flush(self) -> None:
        whole = self.n >> 3
        rest = self.n & 7
        self.out += (self.acc >> rest).to_bytes(whole, "big")
        self.acc &= (1 << rest) - 1
        self.n = rest

    def write_uint(self, value: int) -> None:
        if value < 0x80:
            self.acc = (self.acc << 8) | value
            self.n += 8
            return
        while True:
            b = value & 0x7F
            value >>= 7
            if value:
                self.write(b | 0x80, 8)
            else:
                self.write(b, 8)
                return

    def write_bytes(self, data: bytes) -> None:
        if data:
            self.write(int.from_bytes(data, "big"), len(data) * 8)

    def getvalue(self) -> bytes:
        pad = (-self.n) & 7
        self.write(0, pad)
        self._flush()
        return bytes(self.out)
