"""Impairment in the kernel, on a veth end inside a network namespace the harness made: `tbf` for the rate,
`netem` where the kernel has it, and packet loss by a tiny eBPF classifier where it has not.

Why eBPF: the kernels these tests run on have neither `netem` nor the `gact` action (so `action gact ... random`
is refused), and iptables/nft are not installed; they do have `clsact` and `cls_bpf` in direct-action mode. A
seven-instruction program (a random number from the kernel, one compare, "drop" or "pass") is loaded with the
bpf(2) syscall through ctypes, so nothing needs installing. It drops IP packets on the veth's egress, so TCP
really loses segments and really retransmits: a user-space relay cannot model that honestly.

Every command is bounded (10 s) and runs in the namespace named, never on the host's interfaces.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import platform
import struct
import subprocess
import tempfile

from .profile import Impairment

_BPF_SYSCALL = {"x86_64": 321, "aarch64": 280}
_BPF_PROG_LOAD, _BPF_OBJ_PIN, _SCHED_CLS = 5, 6, 3
TC_ACT_OK, TC_ACT_SHOT = 0, 2


class KernelUnavailable(RuntimeError):
    """The kernel (or this machine) cannot apply what was asked: the caller falls back or reports it."""


def _tc(ns: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["tc", "-n", ns, *args], capture_output=True, text=True, timeout=10, check=check)


def qdisc_works(ns: str, dev: str, kind: str, *params: str) -> bool:
    """Whether the kernel accepts `kind` as the root qdisc of `dev` (tried, then removed)."""
    ok = _tc(ns, "qdisc", "add", "dev", dev, "root", kind, *params, check=False).returncode == 0
    if ok:
        _tc(ns, "qdisc", "del", "dev", dev, "root", check=False)
    return ok


_CAPS: dict[str, bool] = {}


def capabilities(ns: str, dev: str) -> dict[str, bool]:
    """What this kernel offers, detected once per process (on the first link made): netem, tbf, the eBPF drop.
    The first probe can take seconds (the kernel tries to load a module for an unknown qdisc)."""
    if _CAPS:
        return dict(_CAPS)
    caps = {"netem": qdisc_works(ns, dev, "netem", "delay", "1ms"),
            "tbf": qdisc_works(ns, dev, "tbf", "rate", "1mbit", "burst", "4k", "latency", "50ms")}
    try:
        _load_drop_program(0.0)[0].close()
        caps["bpf_drop"] = True
    except (OSError, KernelUnavailable):
        caps["bpf_drop"] = False
    _CAPS.update(caps)
    return caps


def tbf_params(rate_kbps: float) -> list[str]:
    """tbf for a slow link: a bucket of one full frame (the least tbf accepts for MTU 1500) and a queue that
    holds 20 s of traffic, so the link is slow, not lossy (loss is a column of its own)."""
    burst = 1600
    limit = max(3000, int(rate_kbps * 1000 / 8 * 20))
    return ["rate", f"{rate_kbps:g}kbit", "burst", str(burst), "limit", str(limit)]


def apply(ns: str, dev: str, imp: Impairment, caps: dict[str, bool], loss_protocol: str = "ip") -> dict[str, str]:
    """Apply what the kernel can of `imp` to `dev`'s egress in `ns`; returns {aspect: how it is applied}. An
    aspect left out is for the user-space relay (delay and jitter without netem). ``loss_protocol`` is what the
    eBPF drop applies to (tc's name; "all": every EtherType, e.g. a link that also carries GOOSE and SV). A drop
    on the egress is reported to a packet socket's send() as ENOBUFS (TCP takes it as a lost segment), so a
    layer-2 sender must not be the one whose egress drops: see :mod:`.l2delay`, whose forwarder sends through it."""
    how: dict[str, str] = {}
    netem_args: list[str] = []
    if caps.get("netem") and (imp.delays or imp.loss_pct):
        if imp.delays:
            netem_args += ["delay", f"{imp.delay_ms:g}ms", f"{imp.jitter_ms:g}ms", "distribution", "uniform"]
            how["delay"] = "netem"
        if imp.loss_pct:
            netem_args += ["loss", f"{imp.loss_pct:g}%"]
            how["loss"] = "netem"
        if imp.rate_kbps:
            netem_args += ["rate", f"{imp.rate_kbps:g}kbit"]
            how["rate"] = "netem"
        _tc(ns, "qdisc", "add", "dev", dev, "root", "netem", *netem_args)
        return how
    if imp.rate_kbps:
        if not caps.get("tbf"):
            raise KernelUnavailable("the kernel has no tbf qdisc")
        _tc(ns, "qdisc", "add", "dev", dev, "root", "tbf", *tbf_params(imp.rate_kbps))
        how["rate"] = "tbf"
    if imp.loss_pct:
        if not caps.get("bpf_drop"):
            raise KernelUnavailable("the kernel has neither netem nor an eBPF classifier for loss")
        attach_drop(ns, dev, imp.loss_pct, loss_protocol)
        how["loss"] = "ebpf" if loss_protocol == "ip" else f"ebpf ({loss_protocol})"
    return how


# ---- the eBPF drop --------------------------------------------------------------------------------------------

def _insn(op: int, dst: int = 0, src: int = 0, off: int = 0, imm: int = 0) -> bytes:
    return struct.pack("<BBhi", op, (src << 4) | dst, off, imm)


def drop_program(loss_pct: float) -> bytes:
    """r0 = random >> 1 (31 bits); drop when r0 < loss * 2^31, else pass."""
    threshold = int(loss_pct / 100 * 2 ** 31)
    return b"".join([
        _insn(0x85, imm=7),                 # call bpf_get_prandom_u32
        _insn(0x77, imm=1),                 # r0 >>= 1
        _insn(0x35, off=2, imm=threshold),  # if r0 >= threshold goto pass
        _insn(0xB7, imm=TC_ACT_SHOT),       # r0 = drop
        _insn(0x95),                        # exit
        _insn(0xB7, imm=TC_ACT_OK),         # pass: r0 = ok
        _insn(0x95),                        # exit
    ])


class _Fd:
    def __init__(self, fd: int) -> None:
        self.fd = fd

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def _bpf(cmd: int, attr: bytes) -> int:
    nr = _BPF_SYSCALL.get(platform.machine())
    if nr is None:
        raise KernelUnavailable(f"bpf(2) syscall number unknown on {platform.machine()}")
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    buf = ctypes.create_string_buffer(attr, len(attr))
    ret = libc.syscall(nr, cmd, buf, len(attr))
    if ret < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"bpf({cmd}): {os.strerror(err)}")
    return int(ret)


def _load_drop_program(loss_pct: float) -> tuple[_Fd, list[object]]:
    code = drop_program(loss_pct)
    keep: list[object] = [ctypes.create_string_buffer(code, len(code)), ctypes.create_string_buffer(b"GPL")]
    attr = struct.pack("<IIQQIIQII16s", _SCHED_CLS, len(code) // 8, ctypes.addressof(keep[0]),  # type: ignore
                       ctypes.addressof(keep[1]), 0, 0, 0, 0, 0, b"vgitest_drop")  # type: ignore[arg-type]
    return _Fd(_bpf(_BPF_PROG_LOAD, attr.ljust(128, b"\0"))), keep


def attach_drop(ns: str, dev: str, loss_pct: float, protocol: str = "ip") -> None:
    """Drop `loss_pct` % of the packets of `protocol` (tc's name: "ip", "all" for every EtherType, e.g. GOOSE
    and SV frames on a veth the IEC 61850 peers share) leaving `dev` in `ns`. The program is pinned in a private bpffs
    mount only long enough for tc to attach it (the filter then holds it); the mount is gone afterwards."""
    prog, _keep = _load_drop_program(loss_pct)
    mnt = tempfile.mkdtemp(prefix="vgitest-bpf-")
    mounted = False
    try:
        subprocess.run(["mount", "-t", "bpf", "bpf", mnt], capture_output=True, timeout=10, check=True)
        mounted = True
        path = os.path.join(mnt, "drop").encode()
        pbuf = ctypes.create_string_buffer(path)
        _bpf(_BPF_OBJ_PIN, struct.pack("<QII", ctypes.addressof(pbuf), prog.fd, 0).ljust(128, b"\0"))
        _tc(ns, "qdisc", "add", "dev", dev, "clsact", check=False)  # may exist already (second call)
        _tc(ns, "filter", "add", "dev", dev, "egress", "protocol", protocol, "bpf", "da", "object-pinned",
            path.decode())
        os.unlink(path)
    except subprocess.CalledProcessError as exc:
        raise KernelUnavailable(f"attaching the eBPF drop failed: {(exc.stderr or b'')!r}") from exc
    finally:
        prog.close()
        if mounted:
            subprocess.run(["umount", mnt], capture_output=True, timeout=10, check=False)
        with contextlib.suppress(OSError):
            os.rmdir(mnt)
