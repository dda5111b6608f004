"""ISO 15118 TLS contexts over loopback: versions, suites, mutual authentication, refusals, key-log export.

Every wait is bounded: sockets time out after 5 s and the server thread is joined with a timeout."""

from __future__ import annotations

import dataclasses
import socket
import ssl
import threading
from pathlib import Path
from typing import Any

import pytest

from vgitest.iso15118 import testpki, tls
from vgitest.tlsutil import peer_chain

TIMEOUT = 5.0


def _loopback() -> tuple[int, str]:
    """IPv6 loopback when this host has it (V2G runs on IPv6), else IPv4."""
    if socket.has_ipv6:
        try:
            with socket.socket(socket.AF_INET6) as s:
                s.bind(("::1", 0))
            return socket.AF_INET6, "::1"
        except OSError:
            pass
    return socket.AF_INET, "127.0.0.1"


@dataclasses.dataclass
class Result:
    client: dict[str, Any] = dataclasses.field(default_factory=dict)
    server: dict[str, Any] = dataclasses.field(default_factory=dict)
    client_error: Exception | None = None
    server_error: Exception | None = None


def handshake(server_ctx: ssl.SSLContext, client_ctx: ssl.SSLContext) -> Result:
    """One connection: the client sends b"ping", the server echoes it back."""
    family, host = _loopback()
    res = Result()
    listener = socket.create_server((host, 0), family=family)
    listener.settimeout(TIMEOUT)
    port = listener.getsockname()[1]

    def serve() -> None:
        try:
            conn, _ = listener.accept()
            conn.settimeout(TIMEOUT)
            with server_ctx.wrap_socket(conn, server_side=True) as s:
                res.server = {"version": s.version(), "cipher": s.cipher()[0],  # type: ignore[index]
                              "peer": s.getpeercert(binary_form=True)}
                s.sendall(s.recv(16))
        except Exception as exc:  # noqa: BLE001 - reported to the test
            res.server_error = exc

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        with socket.create_connection((host, port), timeout=TIMEOUT) as raw, client_ctx.wrap_socket(raw) as s:
            s.sendall(b"ping")
            res.client = {"version": s.version(), "cipher": s.cipher()[0], "echo": s.recv(16),  # type: ignore[index]
                          "sent": peer_chain(s)}
    except Exception as exc:  # noqa: BLE001
        res.client_error = exc
    finally:
        thread.join(TIMEOUT)
        listener.close()
    assert not thread.is_alive(), "server thread still running"
    return res


@pytest.fixture(scope="module")
def pki2(tmp_path_factory: pytest.TempPathFactory) -> testpki.V2gPki:
    return testpki.make(tmp_path_factory.mktemp("pki2"))


@pytest.fixture(scope="module", params=["ec-p521", "ed448"])
def pki20(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> testpki.V2gPki:
    return testpki.make(tmp_path_factory.mktemp("pki20"), iso20=True, key_type=request.param)


def test_iso2_cipher_availability_is_what_openssl_has() -> None:
    have = tls.iso2_ciphers()
    assert "ECDHE-ECDSA-AES128-SHA256" in have
    assert set(have) <= set(tls.ISO2_CIPHERS)  # the static-ECDH suite is gone since OpenSSL 1.1.0


def test_iso2_handshake_tls12_iso_suite_and_keylog(pki2: testpki.V2gPki, tmp_path: Path) -> None:
    keylog = tmp_path / "run-1" / "keys.log"
    res = handshake(tls.secc_context(pki2, iso20=False), tls.evcc_context(pki2, iso20=False, keylog=keylog))
    assert res.client_error is None and res.server_error is None, (res.client_error, res.server_error)
    assert res.client["version"] == "TLSv1.2" and res.client["cipher"] == "ECDHE-ECDSA-AES128-SHA256"
    assert res.client["echo"] == b"ping"
    assert res.client["sent"] == [pki2.secc.cert, pki2.v2g.sub2.cert, pki2.v2g.sub1.cert]  # never the root
    assert res.server["peer"] is None  # ISO 15118-2: the EVCC is not authenticated by TLS
    entries = tls.read_keylog(keylog)
    assert [e[0] for e in entries] == ["CLIENT_RANDOM"]
    assert len(entries[0][1]) == 32 and len(entries[0][2]) == 48  # client random, master secret


def test_iso20_handshake_tls13_mutual_and_keylog(pki20: testpki.V2gPki, tmp_path: Path) -> None:
    keylog = tmp_path / "secc-keys.log"
    res = handshake(tls.secc_context(pki20, iso20=True, keylog=keylog), tls.evcc_context(pki20, iso20=True))
    assert res.client_error is None and res.server_error is None, (res.client_error, res.server_error)
    assert res.client["version"] == "TLSv1.3" and res.client["echo"] == b"ping"
    assert res.server["peer"] == pki20.der("oem_prov")  # the vehicle certificate from the OEM chain
    labels = {e[0] for e in tls.read_keylog(keylog)}
    assert set(tls.TLS13_LABELS) <= labels and "CLIENT_RANDOM" not in labels


def test_keylog_file_is_chosen_per_run(pki2: testpki.V2gPki, tmp_path: Path) -> None:
    ctx = tls.evcc_context(pki2, iso20=False, keylog=tmp_path / "a.log")
    handshake(tls.secc_context(pki2, iso20=False), ctx)
    tls.set_keylog(ctx, tmp_path / "b.log")
    handshake(tls.secc_context(pki2, iso20=False), ctx)
    tls.set_keylog(ctx, None)
    handshake(tls.secc_context(pki2, iso20=False), ctx)
    a, b = tls.read_keylog(tmp_path / "a.log"), tls.read_keylog(tmp_path / "b.log")
    assert len(a) == 1 and len(b) == 1 and a[0][1] != b[0][1]


def _verify_code(exc: Exception | None) -> int | None:
    return getattr(exc, "verify_code", None)


@pytest.mark.parametrize("iso20", [False, True])
def test_evcc_refuses_expired_and_untrusted_secc(pki2: testpki.V2gPki, pki20: testpki.V2gPki, iso20: bool) -> None:
    pki = pki20 if iso20 else pki2
    res = handshake(tls.secc_context(pki, iso20=iso20, secc=pki.expired_secc), tls.evcc_context(pki, iso20=iso20))
    assert isinstance(res.client_error, ssl.SSLCertVerificationError) and _verify_code(res.client_error) == 10
    res = handshake(tls.secc_context(pki, iso20=iso20, secc=pki.untrusted_secc), tls.evcc_context(pki, iso20=iso20))
    assert isinstance(res.client_error, ssl.SSLCertVerificationError) and _verify_code(res.client_error) == 20


def test_iso20_secc_requires_a_vehicle_certificate_from_the_oem_chain(pki20: testpki.V2gPki) -> None:
    res = handshake(tls.secc_context(pki20, iso20=True), tls.evcc_context(pki20, iso20=True, send_client_cert=False))
    assert isinstance(res.server_error, ssl.SSLError) and "PEER_DID_NOT_RETURN_A_CERTIFICATE" in str(res.server_error)
    assert res.client_error is not None
    # a certificate from another hierarchy (the MO's contract chain) is not a vehicle certificate
    res = handshake(tls.secc_context(pki20, iso20=True), tls.evcc_context(pki20, iso20=True, client=pki20.contract))
    assert isinstance(res.server_error, ssl.SSLCertVerificationError) and _verify_code(res.server_error) == 20


def test_version_pins(pki2: testpki.V2gPki, pki20: testpki.V2gPki) -> None:
    """An ISO-2 SECC does not speak TLS 1.3, an ISO-20 SECC does not speak TLS 1.2."""
    client13 = tls.evcc_context(pki2, iso20=False)
    client13.minimum_version = client13.maximum_version = ssl.TLSVersion.TLSv1_3
    res = handshake(tls.secc_context(pki2, iso20=False), client13)
    assert res.client_error is not None and res.server_error is not None
    res = handshake(tls.secc_context(pki20, iso20=True), tls.evcc_context(pki20, iso20=False))
    assert res.client_error is not None and res.server_error is not None


def test_read_keylog_skips_comments_and_garbage(tmp_path: Path) -> None:
    path = tmp_path / "k.log"
    path.write_text("# TLS secrets log file\nCLIENT_RANDOM 00ff 0102\nnonsense\nX zz 00\n", encoding="ascii")
    assert tls.read_keylog(path) == [("CLIENT_RANDOM", b"\x00\xff", b"\x01\x02")]


def test_vendor_material_from_files(pki2: testpki.V2gPki, tmp_path: Path) -> None:
    """A vendor's own chain and key, given as files (here: the generated ones, chains with the root appended)."""
    files = pki2.files()
    chain = tmp_path / "vendor_secc_chain.pem"
    chain.write_bytes(Path(files["secc_chain"]).read_bytes() + Path(files["v2g_root"]).read_bytes())
    secc = testpki.load_credential(chain, files["secc_key"])
    assert secc.cert == pki2.secc.cert and secc.chain[-1] == pki2.v2g_root.cert
    res = handshake(tls.secc_context(pki2, iso20=False, secc=secc), tls.evcc_context(pki2, iso20=False))
    assert res.client_error is None and res.server["cipher"] == "ECDHE-ECDSA-AES128-SHA256"
    assert pki2.v2g_root.cert not in res.client["sent"]
    with pytest.raises(ValueError, match="not the key"):
        testpki.load_credential(files["secc_chain"], files["contract_key"])
