"""A minimal asyncio MMS server and client over ISO-on-TCP: the building blocks of the fake EV and fake EVSE of the
FLOW D3.1 Table 5 flow (power request, ACK, parameter request and response).

The server serves a data model given as data (:class:`Attribute` rows: ``LD/LN$FC$DO$DA``, value, read-only) and
answers Read, Write, GetNameList and GetVariableAccessAttributes; a write to a read-only attribute gets
object-access-denied (IEC 61850-8-1 maps a write the functional constraint forbids to it); a confirmed request for
another service gets a reject (unrecognized-service); a PDU that does not decode gets a reject (invalid-pdu), and
broken lower layers end the connection with an ACSE abort or a COTP disconnect, never an exception in the
harness. Both ends read every frame within a timeout and keep a log of every frame with its direction, so the
suites can measure each frame at the socket (:func:`mms.sizes`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import time
from collections.abc import Callable, Iterable

from . import mms, osi
from .data import Data
from .mms import Name, TypeSpec

DEFAULT_TIMEOUT_S = 10.0  # a bound on each read, not a budget: the suites judge timing themselves
MAX_TSDU = 1 << 20  # reassembled TSDU limit: far above any IEC 61850 PDU, bounds a device that never sends EOT
NAME_LIST_CHUNK = 100  # identifiers per GetNameList response; the client asks again with continueAfter


class MmsPeerError(RuntimeError):
    """The peer broke the protocol in a way that ends the exchange (the message says what it sent)."""


@dataclasses.dataclass(frozen=True)
class Attribute:
    """One data attribute of the served model: ``ref`` is ``LD/LN$FC$DO$DA`` (any depth below the FC)."""

    ref: str
    value: Data
    read_only: bool = False

    @property
    def name(self) -> Name:
        return Name.parse(self.ref)


@dataclasses.dataclass
class FrameLog:
    """One frame on the socket: ``sent`` by this end or received, its bytes and monotonic time.

    ``decoded`` keeps what the frame decoded to (:func:`frame_tpdu`, :func:`frame_upper`, :func:`frame_pdu`), so
    that the peer reading it, the checks judging the log and the trace naming its frames decode it once between
    them: a device may send thousands of frames on one connection."""

    sent: bool
    frame: bytes
    at: float
    decoded: dict[object, tuple[object, object]] = dataclasses.field(default_factory=dict, compare=False,
                                                                     repr=False)


def _memo(entry: object, key: object, arg: bytes, decode: Callable[[], object]) -> object:
    """``decode()``'s result (or its OsiError / MmsError, raised again) for ``arg``, kept in the entry's
    ``decoded`` under ``key``; decoded afresh if the entry kept it for other bytes or keeps nothing."""
    memo = getattr(entry, "decoded", None)
    kept = memo.get(key) if memo is not None else None
    if kept is None or kept[0] != arg:
        try:
            kept = (arg, decode())
        except (osi.OsiError, mms.MmsError) as exc:
            kept = (arg, exc)
        if memo is not None:
            memo[key] = kept
    if isinstance(kept[1], Exception):
        raise kept[1]
    return kept[1]


def frame_tpdu(entry: FrameLog) -> osi.Cotp:
    """The entry's frame as a COTP TPDU (OsiError for a bad TPKT or TPDU), decoded once."""
    frame = entry.frame
    return _memo(entry, "tpdu", frame, lambda: osi.cotp_decode(osi.tpkt_decode(frame)))  # type: ignore[return-value]


def frame_upper(entry: FrameLog, tsdu: bytes, contexts: osi.Contexts) -> osi.Upper:
    """``osi.upper_decode(tsdu, contexts)`` of the TSDU whose last frame the entry is, decoded once per context
    ids (a pure function of the bytes and the ids)."""
    return _memo(entry, ("upper", contexts.acse, contexts.mms), tsdu,  # type: ignore[return-value]
                 lambda: osi.upper_decode(tsdu, contexts))


def frame_pdu(entry: FrameLog, pdu: bytes) -> mms.Pdu:
    """``mms.decode(pdu)`` of the MMS PDU the entry's TSDU carries, decoded once."""
    return _memo(entry, "mms", pdu, lambda: mms.decode(pdu))  # type: ignore[return-value]


# ---- the connection (COTP segmentation and reassembly, logs) -------------------------------------------------

class IsoConnection:
    """TPKT/COTP over one TCP stream: whole TSDUs in and out, every frame logged and every read bounded."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, timeout: float) -> None:
        self.reader, self.writer, self.timeout = reader, writer, timeout
        self.tpdu_size = 1024
        self.contexts = osi.DEFAULT_IDS  # the presentation context ids of the association
        self.log: list[FrameLog] = []
        self._received: FrameLog | None = None  # the last frame read (a TSDU's decode is kept on its last frame)

    async def send_frame(self, frame: bytes) -> None:
        self.log.append(FrameLog(True, frame, time.monotonic()))
        self.writer.write(frame)
        await asyncio.wait_for(self.writer.drain(), self.timeout)

    async def send_tsdu(self, tsdu: bytes) -> None:
        """One TSDU in as many DT TPDUs as the negotiated TPDU size needs."""
        room = self.tpdu_size - 3
        chunks = [tsdu[i:i + room] for i in range(0, len(tsdu), room)] or [b""]
        for i, chunk in enumerate(chunks):
            await self.send_frame(osi.tpkt_encode(osi.CotpData(chunk, i == len(chunks) - 1).encode()))

    async def recv_tpdu(self) -> osi.Cotp:
        """One TPDU, no longer than the negotiated TPDU size (OsiError otherwise)."""
        frame = await osi.read_tpkt(self.reader, self.timeout)
        self._received = entry = FrameLog(False, frame, time.monotonic())
        self.log.append(entry)
        if len(frame) - osi.TPKT_HEADER > self.tpdu_size:
            raise osi.OsiError("COTP", f"TPDU of {len(frame) - osi.TPKT_HEADER} bytes, above the "
                               f"{self.tpdu_size} negotiated")
        return frame_tpdu(entry)

    async def recv_tsdu(self) -> bytes:
        """Reassembled DT payloads up to EOT. OsiError for any other TPDU or an oversized TSDU."""
        parts: list[bytes] = []
        size = 0
        while True:
            tpdu = await self.recv_tpdu()
            if isinstance(tpdu, osi.CotpDisconnect):
                raise MmsPeerError(f"the peer disconnected (COTP DR, reason {tpdu.reason})")
            if not isinstance(tpdu, osi.CotpData):
                raise osi.OsiError("COTP", f"{type(tpdu).__name__} where a DT was expected")
            parts.append(tpdu.data)
            size += len(tpdu.data)
            if size > MAX_TSDU:
                raise osi.OsiError("COTP", f"TSDU longer than {MAX_TSDU} bytes")
            if tpdu.eot:
                return b"".join(parts)

    async def send_mms(self, pdu: mms.Pdu) -> None:
        """An MMS PDU in a data transfer, in the association's MMS context."""
        await self.send_tsdu(osi.Spdu(osi.SI_DATA, osi.presentation_data_encode(pdu.encode(),
                                                                               self.contexts.mms)).encode())

    async def recv_upper(self) -> osi.Upper:
        tsdu = await self.recv_tsdu()
        assert self._received is not None  # recv_tsdu read at least one frame
        return frame_upper(self._received, tsdu, self.contexts)  # kept on its last frame for the checks

    def decode_mms(self, pdu: bytes) -> mms.Pdu:
        """``mms.decode`` of the MMS PDU of the TSDU just received, kept on its last frame for the checks and
        the trace."""
        return frame_pdu(self._received, pdu) if self._received is not None else mms.decode(pdu)

    async def close(self) -> None:
        self.writer.close()
        try:
            await asyncio.wait_for(self.writer.wait_closed(), 1.0)
        except (OSError, asyncio.TimeoutError):
            pass


# ---- the data model ------------------------------------------------------------------------------------------

class Model:
    """The served model as a tree per logical device: LN, FC, DO, DA ... with the attributes at the leaves."""

    def __init__(self, attributes: Iterable[Attribute]) -> None:
        self.domains: dict[str, dict] = {}
        self.attributes: dict[tuple[str, str], Attribute] = {}
        for a in attributes:
            name = a.name
            if name.domain is None or name.item.count("$") < 2:
                raise ValueError(f"{a.ref}: an attribute is LD/LN$FC$DO... ")
            node = self.domains.setdefault(name.domain, {})
            parts = name.item.split("$")
            for p in parts[:-1]:
                node = node.setdefault(p, {})
                if isinstance(node, Attribute):
                    raise ValueError(f"{a.ref}: below another attribute")
            node[parts[-1]] = a
            self.attributes[(name.domain, name.item)] = a

    def node(self, name: Name) -> dict | Attribute | None:
        if name.domain is None or name.domain not in self.domains:
            return None
        node: dict | Attribute = self.domains[name.domain]
        for p in name.item.split("$"):
            if not isinstance(node, dict) or p not in node:
                return None
            node = node[p]
        return node

    def names(self, domain: str) -> list[str]:
        """Every variable name of a domain (LN, LN$FC, LN$FC$DO ...), in the order GetNameList lists them."""
        out: list[str] = []

        def walk(prefix: str, node: dict) -> None:
            for key, child in node.items():
                name = f"{prefix}${key}" if prefix else key
                out.append(name)
                if isinstance(child, dict):
                    walk(name, child)
        walk("", self.domains.get(domain, {}))
        return sorted(out)

    def value(self, node: dict | Attribute) -> Data:
        if isinstance(node, Attribute):
            return node.value
        return Data("structure", tuple(self.value(c) for c in node.values()))

    def type(self, node: dict | Attribute) -> TypeSpec:
        if isinstance(node, Attribute):
            return type_of(node.value)
        return TypeSpec("structure", components=tuple((k, self.type(c)) for k, c in node.items()))

    def write(self, name: Name, value: Data, *, ignore_read_only: bool = False) -> int | None:
        """None when written, else the DataAccessError."""
        node = self.node(name)
        if node is None:
            return mms.OBJECT_NON_EXISTENT
        if not isinstance(node, Attribute):
            return mms.OBJECT_ACCESS_UNSUPPORTED  # writing a whole structure is not offered
        if node.read_only and not ignore_read_only:
            return mms.OBJECT_ACCESS_DENIED
        if value.kind != node.value.kind:
            return mms.TYPE_INCONSISTENT
        key = (name.domain or "", name.item)
        new = dataclasses.replace(node, value=value)
        self.attributes[key] = new
        parent = self.domains[name.domain or ""]
        *path, last = name.item.split("$")
        for p in path:
            parent = parent[p]
        parent[last] = new
        return None


def type_of(value: Data) -> TypeSpec:
    """The MMS type description of a value (strings of variable length up to their IEC 61850 widths)."""
    k = value.kind
    if k == "structure":
        return TypeSpec(k, components=tuple((f"m{i}", type_of(v)) for i, v in enumerate(value.value)))
    if k == "array":
        return TypeSpec(k, len(value.value), element=type_of(value.value[0]) if value.value else TypeSpec("boolean"))
    if k in ("bit-string", "boolean-array"):
        return TypeSpec(k, len(value.value))
    if k in ("integer", "unsigned"):
        return TypeSpec(k, 32)
    if k == "floating-point":
        return TypeSpec(k, 32)
    if k == "visible-string":
        return TypeSpec(k, -255)
    if k == "mms-string":
        return TypeSpec(k, -255)
    if k == "octet-string":
        return TypeSpec(k, -64)
    if k == "binary-time":
        return TypeSpec(k, 1 if len(value.value) == 6 else 0)
    return TypeSpec(k)


# ---- the server ----------------------------------------------------------------------------------------------

@dataclasses.dataclass
class Association:
    """What one server connection negotiated and logged."""

    peer: tuple
    conn: IsoConnection
    initiate: mms.Initiate | None = None
    requests: list[mms.Pdu] = dataclasses.field(default_factory=list)
    error: str | None = None  # why the connection ended abnormally (a finding about the client)
    harness_error: str | None = None  # a fault of this server's own code: never blamed on the client


@dataclasses.dataclass(frozen=True)
class ServerFaults:
    """Deliberate deviations for a reference device with faults (all off: a conforming server)."""

    wrong_invoke_id: bool = False  # answer each confirmed request under the next invokeID
    accept_read_only_writes: bool = False  # apply a write to a read-only attribute and report success


WriteHook = Callable[[Name, Data], None]


class MmsServer:
    """Serves one model on a TCP port; each connection in its own task. ``associations`` keeps every
    connection's log for the evidence. ``on_write`` is told of every write the server applied (a fake EVSE learns
    the EV's power request from it)."""

    def __init__(self, attributes: Iterable[Attribute], *, host: str = "127.0.0.1", port: int = 0,
                 timeout: float = DEFAULT_TIMEOUT_S, max_outstanding: int = 5, faults: ServerFaults = ServerFaults(),
                 on_write: WriteHook | None = None) -> None:
        self.model = Model(attributes)
        self.host, self.port, self.timeout, self.max_outstanding = host, port, timeout, max_outstanding
        self.faults, self.on_write = faults, on_write
        self.associations: list[Association] = []
        self._server: asyncio.AbstractServer | None = None
        self._tasks: set[asyncio.Task] = set()

    async def start(self) -> tuple[str, int]:
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.host, self.port

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=2.0)

    async def __aenter__(self) -> MmsServer:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        conn = IsoConnection(reader, writer, self.timeout)
        assoc = Association(writer.get_extra_info("peername"), conn)
        self.associations.append(assoc)
        try:
            await self._session(assoc)
        except osi.OsiError as exc:
            assoc.error = str(exc)
            await self._abort(conn, exc)
        except asyncio.IncompleteReadError as exc:
            concluded = any(isinstance(r, mms.Conclude) for r in assoc.requests)
            assoc.error = ("the peer closed the connection in the middle of a frame" if exc.partial else
                           "the peer closed the connection after the MMS conclude without an ACSE release"
                           if concluded else "the peer closed the connection without an MMS conclude and ACSE release")
        except (asyncio.TimeoutError, ConnectionError, MmsPeerError) as exc:
            assoc.error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        except Exception as exc:  # noqa: BLE001 - a bug here must end this connection, not the server
            assoc.harness_error = f"{type(exc).__name__}: {exc}"
        finally:
            await conn.close()
            if task is not None:
                self._tasks.discard(task)

    async def _abort(self, conn: IsoConnection, exc: osi.OsiError) -> None:
        """End a connection whose peer sent broken lower layers: COTP ER before the connection is up or for a
        COTP fault, else an ACSE abort; best effort (the peer may be gone)."""
        try:
            if exc.layer in ("TPKT", "COTP"):
                await conn.send_frame(osi.tpkt_encode(osi.CotpError(cause=0).encode()))
            else:
                await conn.send_tsdu(osi.release_spdu(osi.ABRT, 1, conn.contexts.acse))
        except (OSError, asyncio.TimeoutError):
            pass

    async def _session(self, assoc: Association) -> None:
        conn = assoc.conn
        cr = await conn.recv_tpdu()
        if not isinstance(cr, osi.CotpConnect) or cr.confirm:
            raise osi.OsiError("COTP", f"{type(cr).__name__} where a CR was expected")
        size = min(cr.tpdu_size if cr.tpdu_size is not None else 7, osi.CLASS0_MAX_SIZE_CODE)
        conn.tpdu_size = osi.TPDU_SIZES[size]
        await conn.send_frame(osi.tpkt_encode(osi.CotpConnect(
            True, cr.src_ref, 1, size, cr.calling_tsap, cr.called_tsap).encode()))
        upper = await conn.recv_upper()
        if upper.spdu.si != osi.SI_CONNECT or upper.acse is None or upper.acse.kind != osi.AARQ or \
                upper.presentation is None or upper.contexts is None:
            raise osi.OsiError("session", f"{upper.spdu.name} where a CONNECT with an AARQ was expected")
        conn.contexts = upper.contexts
        results = conn.contexts.results(upper.presentation)
        if upper.acse.context_name != osi.MMS_CONTEXT or upper.mms is None:
            await conn.send_tsdu(osi.accept_spdu(mms.InitiateError().encode(), result=1, diagnostic=(1, 2),
                                                   results=results, contexts=conn.contexts))
            raise MmsPeerError(f"application context {upper.acse.context_name} is not MMS")
        request = conn.decode_mms(upper.mms)
        if not isinstance(request, mms.Initiate) or request.response:
            raise MmsPeerError(f"{type(request).__name__} in the AARQ where an initiate-Request was expected")
        assoc.initiate = request
        response = dataclasses.replace(
            request, response=True, max_calling=min(request.max_calling, self.max_outstanding),
            max_called=min(request.max_called, self.max_outstanding),
            services=mms.services(*mms.DEFAULT_SERVICES))
        await conn.send_tsdu(osi.accept_spdu(response.encode(), results=results, contexts=conn.contexts))
        while True:
            upper = await conn.recv_upper()
            if upper.spdu.si == osi.SI_FINISH:  # release: RLRQ in FINISH, answered with RLRE in DISCONNECT
                await conn.send_tsdu(osi.release_spdu(osi.RLRE, context=conn.contexts.acse))
                return
            if upper.spdu.si == osi.SI_ABORT:
                return
            if upper.spdu.si != osi.SI_DATA or upper.mms is None:
                raise osi.OsiError("session", f"{upper.spdu.name} during the association")
            await conn.send_mms(self.answer(assoc, upper.mms))

    def answer(self, assoc: Association, pdu_bytes: bytes) -> mms.Pdu:
        """The answer to one MMS PDU: a response, an error, or a reject (garbage never raises)."""
        try:
            pdu = assoc.conn.decode_mms(pdu_bytes)
        except mms.UnknownService as exc:
            return mms.Reject(exc.invoke_id, mms.REJECT_CONFIRMED_REQUEST, mms.UNRECOGNIZED_SERVICE)
        except mms.MmsError:
            return mms.Reject(None, mms.REJECT_PDU_ERROR, mms.INVALID_PDU)
        assoc.requests.append(pdu)
        if isinstance(pdu, mms.Conclude) and not pdu.response:
            return mms.Conclude(True)
        if not isinstance(pdu, mms.ConfirmedRequest):
            return mms.Reject(None, mms.REJECT_PDU_ERROR, mms.UNKNOWN_PDU_TYPE)
        result = self.serve(pdu.service)
        invoke = (pdu.invoke_id + 1) % (mms.MAX_INVOKE_ID + 1) if self.faults.wrong_invoke_id else pdu.invoke_id
        if isinstance(result, mms.ConfirmedError):
            return dataclasses.replace(result, invoke_id=invoke)
        return mms.ConfirmedResponse(invoke, result)

    def serve(self, svc: mms.Service) -> mms.Service | mms.ConfirmedError:
        m = self.model
        if isinstance(svc, mms.ReadRequest):
            results: list[Data | int] = []
            for name in svc.names:
                node = m.node(name)
                results.append(m.value(node) if node is not None else mms.OBJECT_NON_EXISTENT)
            return mms.ReadResponse(tuple(results))
        if isinstance(svc, mms.WriteRequest):
            written: list[int | None] = []
            for name, value in zip(svc.names, svc.values):
                result = m.write(name, value, ignore_read_only=self.faults.accept_read_only_writes)
                if result is None and self.on_write is not None:
                    self.on_write(name, value)
                written.append(result)
            return mms.WriteResponse(tuple(written))
        if isinstance(svc, mms.GetNameListRequest):
            if svc.object_class == mms.DOMAIN and svc.domain is None:
                names = sorted(m.domains)
            elif svc.object_class == mms.NAMED_VARIABLE and svc.domain is not None:
                if svc.domain not in m.domains:
                    return mms.ConfirmedError(0, mms.ERR_DEFINITION, 1)  # object-undefined
                names = m.names(svc.domain)
            else:
                names = []  # no named variable lists, journals or VMD-scope variables in this model
            if svc.continue_after is not None:
                names = [n for n in names if n > svc.continue_after]
            return mms.GetNameListResponse(tuple(names[:NAME_LIST_CHUNK]), len(names) > NAME_LIST_CHUNK)
        if isinstance(svc, mms.GetVarAccessAttributesRequest):
            node = m.node(svc.name)
            if node is None:
                return mms.ConfirmedError(0, mms.ERR_DEFINITION, 1)
            return mms.GetVarAccessAttributesResponse(m.type(node))
        return mms.ConfirmedError(0, mms.ERR_SERVICE, 0)  # a response type sent as a request


# ---- the client ----------------------------------------------------------------------------------------------

class MmsClient:
    """Associates, then sends one confirmed request at a time and checks each answer's invokeID."""

    def __init__(self, conn: IsoConnection, negotiated: mms.Initiate) -> None:
        self.conn = conn
        self.negotiated = negotiated
        self._ids = itertools.count(1)

    @classmethod
    async def connect(cls, host: str, port: int, *, timeout: float = DEFAULT_TIMEOUT_S,
                      initiate: mms.Initiate = mms.Initiate(), tpdu_size: int = 10) -> MmsClient:
        """Associate; ``tpdu_size`` is the COTP size code proposed (10: 1024 bytes)."""
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
        conn = IsoConnection(reader, writer, timeout)
        try:
            await conn.send_frame(osi.tpkt_encode(osi.CotpConnect(tpdu_size=tpdu_size).encode()))
            cc = await conn.recv_tpdu()
            if not isinstance(cc, osi.CotpConnect) or not cc.confirm:
                raise MmsPeerError(f"{type(cc).__name__} where a COTP CC was expected")
            conn.tpdu_size = osi.TPDU_SIZES.get(cc.tpdu_size or 7, 128)
            await conn.send_tsdu(osi.connect_spdu(initiate.encode()))
            upper = await conn.recv_upper()
            if upper.spdu.si != osi.SI_ACCEPT or upper.acse is None or upper.acse.kind != osi.AARE:
                raise MmsPeerError(f"{upper.spdu.name} where an ACCEPT with an AARE was expected")
            if upper.acse.result != 0 or upper.mms is None:
                raise MmsPeerError(f"association rejected (AARE result {upper.acse.result})")
            response = conn.decode_mms(upper.mms)
            if not isinstance(response, mms.Initiate) or not response.response:
                raise MmsPeerError(f"{type(response).__name__} in the AARE where an initiate-Response was expected")
        except BaseException:
            await conn.close()
            raise
        return cls(conn, response)

    async def request(self, service: mms.Service) -> mms.Pdu:
        """The answer to one confirmed request: a ConfirmedResponse of the same service, a ConfirmedError or a
        Reject, each for our invokeID (MmsPeerError otherwise)."""
        invoke = next(self._ids)
        await self.conn.send_mms(mms.ConfirmedRequest(invoke, service))
        upper = await self.conn.recv_upper()
        if upper.mms is None or upper.spdu.si != osi.SI_DATA:
            raise MmsPeerError(f"{upper.spdu.name} where an MMS response was expected")
        answer = self.conn.decode_mms(upper.mms)
        if isinstance(answer, mms.Reject):
            if answer.invoke_id not in (None, invoke):
                raise MmsPeerError(f"reject for invokeID {answer.invoke_id}, the request had {invoke}")
            return answer
        if not isinstance(answer, (mms.ConfirmedResponse, mms.ConfirmedError)):
            raise MmsPeerError(f"{type(answer).__name__} where a confirmed response was expected")
        if answer.invoke_id != invoke:
            raise MmsPeerError(f"response to invokeID {answer.invoke_id}, the request had {invoke}")
        if isinstance(answer, mms.ConfirmedResponse) and answer.service.tag != service.tag:
            raise MmsPeerError(f"{mms.SERVICE_NAMES[answer.service.tag]} response to a "
                               f"{mms.SERVICE_NAMES[service.tag]} request")
        return answer

    async def _ok(self, service: mms.Service) -> mms.Service:
        answer = await self.request(service)
        if not isinstance(answer, mms.ConfirmedResponse):
            raise MmsPeerError(f"{type(answer).__name__}: {answer}")
        return answer.service

    async def read(self, reference: str | Name) -> Data | int:
        """The value, or the DataAccessError the server answered."""
        name = Name.parse(reference) if isinstance(reference, str) else reference
        resp = await self._ok(mms.ReadRequest((name,)))
        assert isinstance(resp, mms.ReadResponse)
        if len(resp.results) != 1:
            raise MmsPeerError(f"{len(resp.results)} results for one variable")
        return resp.results[0]

    async def write(self, reference: str | Name, value: Data) -> int | None:
        """None when written, else the DataAccessError."""
        name = Name.parse(reference) if isinstance(reference, str) else reference
        resp = await self._ok(mms.WriteRequest((name,), (value,)))
        assert isinstance(resp, mms.WriteResponse)
        if len(resp.results) != 1:
            raise MmsPeerError(f"{len(resp.results)} results for one variable")
        return resp.results[0]

    async def get_name_list(self, object_class: int = mms.DOMAIN, domain: str | None = None,
                            max_rounds: int = 1000) -> list[str]:
        """All identifiers, following moreFollows with continueAfter (bounded rounds)."""
        names: list[str] = []
        after = None
        for _ in range(max_rounds):
            resp = await self._ok(mms.GetNameListRequest(object_class, domain, after))
            assert isinstance(resp, mms.GetNameListResponse)
            names += resp.identifiers
            if not resp.more_follows:
                return names
            if not resp.identifiers:
                raise MmsPeerError("moreFollows with no identifiers")
            after = resp.identifiers[-1]
        raise MmsPeerError(f"GetNameList still had more after {max_rounds} rounds")

    async def get_type(self, reference: str | Name) -> TypeSpec:
        name = Name.parse(reference) if isinstance(reference, str) else reference
        resp = await self._ok(mms.GetVarAccessAttributesRequest(name))
        assert isinstance(resp, mms.GetVarAccessAttributesResponse)
        return resp.type

    async def conclude(self) -> None:
        """MMS conclude, then the ACSE release (RLRQ in FINISH, RLRE in DISCONNECT expected), then close."""
        try:
            await self.conn.send_mms(mms.Conclude())
            upper = await self.conn.recv_upper()
            if upper.mms is None or self.conn.decode_mms(upper.mms) != mms.Conclude(True):
                raise MmsPeerError("no conclude-Response to the conclude-Request")
            await self.conn.send_tsdu(osi.release_spdu(osi.RLRQ, context=self.conn.contexts.acse))
            try:
                upper = await self.conn.recv_upper()
            except (asyncio.IncompleteReadError, ConnectionError):
                return  # a server may close the transport instead of answering the release
            if upper.acse is None or upper.acse.kind != osi.RLRE:
                raise MmsPeerError(f"{upper.spdu.name} where an RLRE was expected")
        finally:
            await self.conn.close()
