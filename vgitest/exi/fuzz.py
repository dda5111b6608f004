"""Decoder robustness: random and mutated inputs must only ever raise ExiError, quickly.

Seeds are real captures when the corpus is at hand, plus schema-valid messages drawn with a seeded
random walk over the grammars (so every grammar set has seeds). Mutations: bit flips, byte overwrites,
truncation, insertion, deletion, splicing of two seeds, and fully random bytes behind a valid header.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from . import decode, decode_fragment, encode
from .errors import ExiError
from .strategies import message_types, random_message


@dataclass
class FuzzStats:
    schema: str
    inputs: int = 0
    decoded: int = 0  # inputs that happened to be valid documents
    rejected: int = 0  # ExiError
    max_seconds: float = 0.0
    slowest: bytes = b""
    crashes: list[tuple[bytes, str]] = field(default_factory=list)  # anything but ExiError


def seeds(schema: str, rng: random.Random, extra: Iterable[bytes] = (), per_type: int = 2) -> list[bytes]:
    out = list(extra)
    for name in message_types(schema):
        for _ in range(per_type):
            out.append(encode(random_message(schema, name, rng), schema))
    return out


def mutate(data: bytes, rng: random.Random, pool: list[bytes]) -> bytes:
    b = bytearray(data)
    for _ in range(rng.choice((1, 1, 1, 2, 3, 5))):
        op = rng.randrange(7)
        if op == 0 and b:  # bit flip
            i = rng.randrange(len(b) * 8)
            b[i >> 3] ^= 0x80 >> (i & 7)
        elif op == 1 and b:  # byte overwrite
            b[rng.randrange(len(b))] = rng.randrange(256)
        elif op == 2 and b:  # truncate
            del b[rng.randrange(len(b)):]
        elif op == 3:  # insert random bytes
            i = rng.randrange(len(b) + 1)
            b[i:i] = rng.randbytes(rng.randint(1, 4))
        elif op == 4 and len(b) > 1:  # delete a run
            i = rng.randrange(len(b))
            del b[i:i + rng.randint(1, 4)]
        elif op == 5:  # splice with another seed
            other = rng.choice(pool)
            i = rng.randrange(len(b) + 1)
            j = rng.randrange(len(other) + 1)
            b = b[:i] + other[j:]
        else:  # interesting integers (length fields)
            if b:
                i = rng.randrange(len(b))
                b[i:i + 1] = rng.choice((b"\xff\xff\xff\x7f", b"\x00", b"\xff", b"\x80\x80\x80\x01"))
    return bytes(b)


def inputs(schema: str, n: int, seed: int = 0, extra: Iterable[bytes] = ()) -> Iterator[bytes]:
    rng = random.Random(f"{schema}:{seed}")
    pool = seeds(schema, rng, extra)
    for i in range(n):
        k = i % 10
        if k == 0:
            yield bytes([0x80]) + rng.randbytes(rng.randint(0, 64))
        elif k == 1:
            yield rng.randbytes(rng.randint(0, 16))
        else:
            yield mutate(rng.choice(pool), rng, pool)


def run(schema: str, n: int, seed: int = 0, extra: Iterable[bytes] = (), fragments: bool = True) -> FuzzStats:
    stats = FuzzStats(schema)
    clock = time.perf_counter
    for i, data in enumerate(inputs(schema, n, seed, extra)):
        fn = decode_fragment if fragments and i % 7 == 3 else decode
        t = clock()
        try:
            fn(data, schema)
            stats.decoded += 1
        except ExiError:
            stats.rejected += 1
        except Exception as e:  # noqa: BLE001 - the point of fuzzing is to find these
            stats.crashes.append((data, f"{type(e).__name__}: {e}"))
        dt = clock() - t
        if dt > stats.max_seconds:
            stats.max_seconds, stats.slowest = dt, data
        stats.inputs += 1
    return stats
