"""``vgitest exi decode|encode`` subcommands; the main ``vgitest`` command calls :func:`register`.

    vgitest exi decode --schema iso-2 8098021050908c0c0c0c0c51...   (hex, or a file of raw bytes / hex)
    vgitest exi encode --schema iso-2 message.json                  (prints hex)

JSON carries bytes as hex strings (see docs/exi.md).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import SCHEMAS, ExiError, decode, decode_fragment, encode, encode_fragment, load
from .jsonconv import message_from_json, to_json


HEX_SEPARATORS = str.maketrans("", "", " :\n\t")


def _read_input(arg: str) -> bytes:
    """The bytes of a file named ``arg`` (raw, or hex text), else ``arg`` itself as hex.

    Why the OSError guard: a long hex argument is no valid file name (ENAMETOOLONG), and asking the filesystem
    about it must not end the command with a traceback."""
    try:
        is_file = Path(arg).is_file()
    except (OSError, ValueError):  # name too long, or a NUL byte in it
        is_file = False
    if is_file:
        raw = Path(arg).read_bytes()
        text = raw.strip()
        try:
            return bytes.fromhex(text.decode("ascii"))
        except (UnicodeDecodeError, ValueError):
            return raw
    try:
        return bytes.fromhex(arg.translate(HEX_SEPARATORS))
    except ValueError:
        shown = arg if len(arg) <= 40 else arg[:37] + "..."
        raise SystemExit(f"vgitest exi decode: {shown!r} is neither an existing file nor hex") from None


def cmd_decode(args: argparse.Namespace) -> int:
    data = _read_input(args.input)
    try:
        msg = decode_fragment(data, args.schema) if args.fragment else decode(data, args.schema)
    except ExiError as e:
        print(f"exi decode: {e}", file=sys.stderr)
        return 1
    json.dump(to_json(msg), sys.stdout, indent=None if args.compact else 2)
    sys.stdout.write("\n")
    return 0


def cmd_encode(args: argparse.Namespace) -> int:
    src = sys.stdin.read() if args.json == "-" else Path(args.json).read_text()
    try:
        doc = json.loads(src)
        msg = message_from_json(load(args.schema), doc, args.fragment)
        out = encode_fragment(msg, args.schema) if args.fragment else encode(msg, args.schema)
    except (ExiError, json.JSONDecodeError) as e:
        print(f"exi encode: {e}", file=sys.stderr)
        return 1
    print(out.hex())
    return 0


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``exi decode`` and ``exi encode`` to an argparse subparsers object; returns the exi parser."""
    exi = subparsers.add_parser("exi", help="decode/encode ISO 15118 / DIN 70121 EXI messages",
                                description=__doc__.splitlines()[0])
    sub = exi.add_subparsers(dest="exi_command", required=True)
    d = sub.add_parser("decode", help="EXI (hex or file) -> JSON")
    d.add_argument("--schema", required=True, choices=sorted(SCHEMAS))
    d.add_argument("--fragment", action="store_true", help="input is an EXI fragment (signed parts)")
    d.add_argument("--compact", action="store_true", help="one-line JSON")
    d.add_argument("input", metavar="HEX|FILE")
    d.set_defaults(func=cmd_decode)
    e = sub.add_parser("encode", help="JSON file -> EXI hex")
    e.add_argument("--schema", required=True, choices=sorted(SCHEMAS))
    e.add_argument("--fragment", action="store_true", help="encode the JSON object as an EXI fragment")
    e.add_argument("json", metavar="JSONFILE", help="JSON file, or - for stdin")
    e.set_defaults(func=cmd_encode)
    return exi


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry (``python -m vgitest.exi.cli``) until the lead wires ``register`` in."""
    ap = argparse.ArgumentParser(prog="vgitest")
    register(ap.add_subparsers(dest="command", required=True))
    args = ap.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
