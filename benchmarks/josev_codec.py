"""The comparison point for the EXI benchmark: Josev's Java EXI codec (EXIficient), driven through py4j the
way Josev drives it. Used only when a JVM and py4j are present.

The jar comes from the same pinned, hash-checked iso15118 wheel the XSDs come from (never committed).
"""

from __future__ import annotations

import logging
import shutil
from typing import Any

NAMESPACES = {  # the namespace argument the Java codec takes per grammar set
    "app-protocol": "urn:iso:15118:2:2010:AppProtocol",
    "din": "urn:din:70121:2012:MsgDef",
    "iso-2": "urn:iso:15118:2:2013:MsgDef",
    "iso-20-common": "urn:iso:std:iso:15118:-20:CommonMessages",
    "iso-20-ac": "urn:iso:std:iso:15118:-20:AC",
    "iso-20-dc": "urn:iso:std:iso:15118:-20:DC",
}


def unavailable() -> str | None:
    """Why the Java codec cannot be measured here, or None when it can."""
    if shutil.which("java") is None:
        return "no JVM (java) on PATH"
    try:
        import py4j  # noqa: F401
    except ImportError:
        return "py4j is not installed (pip install py4j)"
    return None


class JavaCodec:
    """decode(bytes, schema) -> JSON text and encode(JSON text, schema) -> bytes through one JVM."""

    def __init__(self) -> None:
        from py4j.java_gateway import JavaGateway

        from vgitest import upstream

        logging.getLogger("py4j").setLevel(logging.CRITICAL)
        jar = upstream.member_file("iso15118", "iso15118/shared/EXICodec.jar")
        self.gateway = JavaGateway.launch_gateway(classpath=str(jar), die_on_exit=True,
                                                  javaopts=["--add-opens", "java.base/java.lang=ALL-UNNAMED"])
        self.codec: Any = self.gateway.jvm.com.siemens.ct.exi.main.cmd.EXICodec()

    def decode(self, data: bytes, schema: str) -> str:
        out = self.codec.decode(data, NAMESPACES[schema])
        if out is None:
            raise ValueError(f"Java decode failed: {self.codec.get_last_decoding_error()}")
        return out

    def encode(self, text: str, schema: str) -> bytes:
        out = self.codec.encode(text, NAMESPACES[schema])
        if out is None:
            raise ValueError(f"Java encode failed: {self.codec.get_last_encoding_error()}")
        return bytes(out)

    def close(self) -> None:
        self.gateway.shutdown()
