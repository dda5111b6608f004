"""EXI datatype representations (EXI 1.0 section 7) as small codec objects.

Each codec decodes from a reader and encodes to a writer. They are plain module-level classes so that
compiled grammars holding them can be pickled into the grammar cache. String codecs implement the
value string table on decode (local and global hits) and always write literals on encode, which is what
the deployed V2G stacks accept everywhere.
"""

from __future__ import annotations

import decimal
import math

from .bits import BitReader, BitWriter
from .errors import ExiError
from .xsd import SimpleType

QName = tuple[str, str]


class DecodeState(BitReader):
    """Bit reader plus the per-stream string tables."""

    __slots__ = ("gvals", "lvals", "uris", "locals", "gs")

    def __init__(self, data: bytes, pos: int = 0, gs: object = None) -> None:
        super().__init__(data, pos)
        self.gs = gs
        self.gvals: list[str] = []
        self.lvals: dict[QName, list[str]] = {}
        self.uris: list[str] | None = None  # qname partitions, built on first use
        self.locals: dict[int, list[str]] | None = None


def _width(n: int) -> int:
    """Bits of an n-bit unsigned integer able to hold n distinct values."""
    return (n - 1).bit_length() if n > 1 else 0


def read_string_chars(r: BitReader, length: int) -> str:
    if length == 0:
        return ""
    if length * 8 > r.nbits - r.pos:
        raise ExiError(f"string length {length} exceeds the remaining input", r.pos)
    start = r.pos
    raw = r.read_bytes(length)
    if raw.isascii():
        return raw.decode("ascii")
    r.pos = start
    chars = []
    for _ in range(length):
        cp = r.read_uint()
        if cp > 0x10FFFF:
            raise ExiError(f"code point {cp:#x} out of range", r.pos)
        chars.append(chr(cp))
    return "".join(chars)


def write_string_chars(w: BitWriter, s: str) -> None:
    if s.isascii():
        w.write_bytes(s.encode("ascii"))
    else:
        for c in s:
            w.write_uint(ord(c))


def read_string_value(r: DecodeState, q: QName) -> str:
    """String with the value partitions: 0 = local hit, 1 = global hit, n>=2 = literal of n-2 chars."""
    n = r.read_uint()
    if n >= 2:
        s = read_string_chars(r, n - 2)
        if n > 2:
            r.gvals.append(s)
            lst = r.lvals.get(q)
            if lst is None:
                r.lvals[q] = [s]
            else:
                lst.append(s)
        return s
    if n == 0:
        lst = r.lvals.get(q)
        if not lst:
            raise ExiError("local value hit with an empty local value partition", r.pos)
        i = r.read(_width(len(lst)))
        if i >= len(lst):
            raise ExiError(f"local value hit {i} out of range ({len(lst)})", r.pos)
        return lst[i]
    if not r.gvals:
        raise ExiError("global value hit with an empty global value partition", r.pos)
    i = r.read(_width(len(r.gvals)))
    if i >= len(r.gvals):
        raise ExiError(f"global value hit {i} out of range ({len(r.gvals)})", r.pos)
    return r.gvals[i]


def write_string_value(w: BitWriter, s: str) -> None:
    w.write_uint(len(s) + 2)
    write_string_chars(w, s)


class Codec:
    """Base: ``dec(reader, qname)`` and ``enc(writer, value)``; ``kind`` names the representation."""

    kind = "?"
    __slots__ = ()

    def describe(self) -> str:
        return self.kind


class BoolCodec(Codec):
    kind = "boolean"
    __slots__ = ()

    def dec(self, r: DecodeState, q: QName) -> bool:
        return bool(r.read_bit())

    def enc(self, w: BitWriter, v: object) -> None:
        if type(v) is not bool:
            raise ExiError(f"expected bool, got {type(v).__name__}")
        w.write(1 if v else 0, 1)


class NBitCodec(Codec):
    """Integers with a bounded range of at most 4096 values: offset from the lower bound in n bits."""

    kind = "n-bit integer"
    __slots__ = ("lo", "hi", "bits")

    def __init__(self, lo: int, hi: int) -> None:
        self.lo, self.hi, self.bits = lo, hi, _width(hi - lo + 1)

    def dec(self, r: DecodeState, q: QName) -> int:
        v = self.lo + r.read(self.bits)
        if v > self.hi:
            raise ExiError(f"integer {v} above the maximum {self.hi}", r.pos)
        return v

    def enc(self, w: BitWriter, v: object) -> None:
        if type(v) is not int or not self.lo <= v <= self.hi:
            raise ExiError(f"expected int in [{self.lo}, {self.hi}], got {v!r}")
        w.write(v - self.lo, self.bits)


class UIntCodec(Codec):
    kind = "unsigned integer"
    __slots__ = ("lo", "hi")

    def __init__(self, lo: int, hi: int | None) -> None:
        self.lo, self.hi = lo, hi

    def dec(self, r: DecodeState, q: QName) -> int:
        v = r.read_uint()
        if v < self.lo or (self.hi is not None and v > self.hi):
            raise ExiError(f"integer {v} outside [{self.lo}, {self.hi}]", r.pos)
        return v

    def enc(self, w: BitWriter, v: object) -> None:
        if type(v) is not int or v < self.lo or (self.hi is not None and v > self.hi):
            raise ExiError(f"expected int in [{self.lo}, {self.hi}], got {v!r}")
        w.write_uint(v)


class IntCodec(Codec):
    kind = "integer"
    __slots__ = ("lo", "hi")

    def __init__(self, lo: int | None, hi: int | None) -> None:
        self.lo, self.hi = lo, hi

    def dec(self, r: DecodeState, q: QName) -> int:
        v = -r.read_uint() - 1 if r.read_bit() else r.read_uint()
        if (self.lo is not None and v < self.lo) or (self.hi is not None and v > self.hi):
            raise ExiError(f"integer {v} outside [{self.lo}, {self.hi}]", r.pos)
        return v

    def enc(self, w: BitWriter, v: object) -> None:
        if type(v) is not int or (self.lo is not None and v < self.lo) or (
            self.hi is not None and v > self.hi
        ):
            raise ExiError(f"expected int in [{self.lo}, {self.hi}], got {v!r}")
        if v < 0:
            w.write(1, 1)
            w.write_uint(-v - 1)
        else:
            w.write(0, 1)
            w.write_uint(v)


class BinaryCodec(Codec):
    kind = "binary"
    # facets and the XSD built-in (hexBinary or base64Binary): EXI needs neither; the hypothesis strategies and
    # the XML renderer (vgitest.exi.xmlform) need them for the value's lexical space
    __slots__ = ("min_len", "max_len", "builtin")

    def __init__(self, min_len: int = 0, max_len: int | None = None, builtin: str = "hexBinary") -> None:
        self.min_len, self.max_len, self.builtin = min_len, max_len, builtin

    def dec(self, r: DecodeState, q: QName) -> bytes:
        n = r.read_uint()
        return r.read_bytes(n)

    def enc(self, w: BitWriter, v: object) -> None:
        if type(v) is not bytes:
            raise ExiError(f"expected bytes, got {type(v).__name__}")
        w.write_uint(len(v))
        w.write_bytes(v)


class StringCodec(Codec):
    kind = "string"
    # facets and the XSD built-in the type derives from (string, token, ID, anyURI, ...): EXI writes every one
    # the same way; the hypothesis strategies need the built-in's lexical space for XSD-valid values
    __slots__ = ("min_len", "max_len", "builtin")

    def __init__(self, min_len: int = 0, max_len: int | None = None, builtin: str = "string") -> None:
        self.min_len, self.max_len, self.builtin = min_len, max_len, builtin

    def dec(self, r: DecodeState, q: QName) -> str:
        return read_string_value(r, q)

    def enc(self, w: BitWriter, v: object) -> None:
        if type(v) is not str:
            raise ExiError(f"expected str, got {type(v).__name__}")
        write_string_value(w, v)


class EnumCodec(Codec):
    kind = "enumeration"
    __slots__ = ("values", "index", "bits")

    def __init__(self, values: list[str]) -> None:
        self.values = tuple(values)
        self.index = {v: i for i, v in enumerate(values)}
        self.bits = _width(len(values))

    def dec(self, r: DecodeState, q: QName) -> str:
        i = r.read(self.bits)
        if i >= len(self.values):
            raise ExiError(f"enumeration index {i} out of range ({len(self.values)})", r.pos)
        return self.values[i]

    def enc(self, w: BitWriter, v: object) -> None:
        i = self.index.get(v) if isinstance(v, str) else None
        if i is None:
            raise ExiError(f"{v!r} is not one of {list(self.values)}")
        w.write(i, self.bits)


class DecimalCodec(Codec):
    kind = "decimal"
    __slots__ = ()

    def dec(self, r: DecodeState, q: QName) -> decimal.Decimal:
        neg = r.read_bit()
        integral = r.read_uint()
        frac = str(r.read_uint())[::-1]
        return decimal.Decimal(f"{'-' if neg else ''}{integral}.{frac}")

    def enc(self, w: BitWriter, v: object) -> None:
        if not isinstance(v, decimal.Decimal) or not v.is_finite():
            raise ExiError(f"expected finite decimal.Decimal, got {v!r}")
        sign, digits, exp = v.as_tuple()
        ds = "".join(map(str, digits))
        if exp >= 0:
            ip, fp = ds + "0" * exp, "0"
        else:
            ds = ds.rjust(-exp + 1, "0")
            ip, fp = ds[:exp], ds[exp:]
        w.write(1 if sign else 0, 1)
        w.write_uint(int(ip))
        w.write_uint(int(fp[::-1]))


class FloatCodec(Codec):
    """Mantissa and base-10 exponent, both EXI Integers; exponent -16384 marks INF/-INF/NaN."""

    kind = "float"
    __slots__ = ()

    def dec(self, r: DecodeState, q: QName) -> float:
        m = -r.read_uint() - 1 if r.read_bit() else r.read_uint()
        e = -r.read_uint() - 1 if r.read_bit() else r.read_uint()
        if e == -(1 << 14):
            return math.inf if m == 1 else -math.inf if m == -1 else math.nan
        if not -(1 << 14) < e < (1 << 14) or not -(1 << 63) <= m < (1 << 63):
            raise ExiError("float out of range", r.pos)
        return float(decimal.Decimal(m).scaleb(e))

    def enc(self, w: BitWriter, v: object) -> None:
        if type(v) is not float:
            raise ExiError(f"expected float, got {type(v).__name__}")
        if math.isnan(v) or math.isinf(v):
            m = 0 if math.isnan(v) else (1 if v > 0 else -1)
            e = -(1 << 14)
        else:
            d = decimal.Decimal(repr(v))
            sign, digits, exp = d.as_tuple()
            m = int("".join(map(str, digits))) * (-1 if sign else 1)
            e = int(exp)
        for n in (m, e):
            if n < 0:
                w.write(1, 1)
                w.write_uint(-n - 1)
            else:
                w.write(0, 1)
                w.write_uint(n)


class ListCodec(Codec):
    kind = "list"
    __slots__ = ("item",)

    def __init__(self, item: Codec) -> None:
        self.item = item

    def dec(self, r: DecodeState, q: QName) -> list:
        n = r.read_uint()
        if n > r.remaining() + 1:
            raise ExiError(f"list length {n} exceeds the remaining input", r.pos)
        return [self.item.dec(r, q) for _ in range(n)]

    def enc(self, w: BitWriter, v: object) -> None:
        if type(v) is not list:
            raise ExiError(f"expected list, got {type(v).__name__}")
        w.write_uint(len(v))
        for x in v:
            self.item.enc(w, x)


class UnsupportedCodec(Codec):
    kind = "unsupported"
    __slots__ = ("what",)

    def __init__(self, what: str) -> None:
        self.what = what

    def dec(self, r: DecodeState, q: QName) -> object:
        raise ExiError(f"datatype {self.what} is not supported", r.pos)

    def enc(self, w: BitWriter, v: object) -> None:
        raise ExiError(f"datatype {self.what} is not supported")


def codec_for(t: SimpleType) -> Codec:
    """Pick the EXI representation of a simple type (EXI 1.0 section 7.1 and table 7-1)."""
    if t.enumeration is not None and t.kind not in ("list", "qname"):
        return EnumCodec(t.enumeration)
    k = t.kind
    if k == "boolean":
        return BoolCodec()
    lo_len = t.length if t.length is not None else (t.min_length or 0)
    hi_len = t.length if t.length is not None else t.max_length
    if k == "binary":
        return BinaryCodec(lo_len, hi_len, t.builtin)
    if k == "string":
        return StringCodec(lo_len, hi_len, t.builtin)
    if k == "integer":
        lo, hi = t.min_value, t.max_value
        if lo is not None and hi is not None and hi - lo < 4096:
            return NBitCodec(lo, hi)
        if lo is not None and lo >= 0:
            return UIntCodec(lo, hi)
        return IntCodec(lo, hi)
    if k == "decimal":
        return DecimalCodec()
    if k == "float":
        return FloatCodec()
    if k == "list":
        assert t.item is not None
        return ListCodec(codec_for(t.item))
    return UnsupportedCodec(t.builtin)
