"""MMS PDUs (ISO 9506-2) as IEC 61850-8-1 uses them: initiate, confirmed request/response/error, reject, conclude,
and the services Read, Write, GetNameList and GetVariableAccessAttributes.

A PDU is a dataclass with ``encode()``; :func:`decode` turns bytes into one of them or raises :class:`MmsError`
(the only exception, with an offset), so a device's PDU is judged on what it sent. Object names are
domain-specific (``domain`` = logical device, ``item`` = ``LN$FC$DO$DA``) unless ``domain`` is None
(VMD-specific). Values are :class:`~vgitest.iec61850.data.Data`.
"""

from __future__ import annotations

import dataclasses
from typing import Union

from . import ber, osi
from .data import Data
from .data import decode as data_decode

# ---- errors, names, constants -----------------------------------------------------------------------------------


class MmsError(ValueError):
    """The bytes are not an MMS PDU this codec accepts. ``offset`` is where it broke (within the MMS PDU)."""

    def __init__(self, message: str, offset: int = 0) -> None:
        super().__init__(f"MMS: {message} (at byte {offset})")
        self.offset = offset


# PDU CHOICE tags
CONFIRMED_REQUEST, CONFIRMED_RESPONSE, CONFIRMED_ERROR, UNCONFIRMED, REJECT = 0, 1, 2, 3, 4
INITIATE_REQUEST, INITIATE_RESPONSE, INITIATE_ERROR, CONCLUDE_REQUEST, CONCLUDE_RESPONSE = 8, 9, 10, 11, 12
# confirmed service CHOICE tags
GET_NAME_LIST, READ, WRITE, GET_VAR_ACCESS_ATTRIBUTES = 1, 4, 5, 6
SERVICE_NAMES = {GET_NAME_LIST: "GetNameList", READ: "Read", WRITE: "Write",
                 GET_VAR_ACCESS_ATTRIBUTES: "GetVariableAccessAttributes"}

# DataAccessError (ISO 9506-2); IEC 61850-8-1 maps a write to a read-only attribute to object-access-denied
OBJECT_INVALIDATED, HARDWARE_FAULT, TEMPORARILY_UNAVAILABLE, OBJECT_ACCESS_DENIED, OBJECT_UNDEFINED = 0, 1, 2, 3, 4
INVALID_ADDRESS, TYPE_UNSUPPORTED, TYPE_INCONSISTENT, OBJECT_ATTRIBUTE_INCONSISTENT = 5, 6, 7, 8
OBJECT_ACCESS_UNSUPPORTED, OBJECT_NON_EXISTENT, OBJECT_VALUE_INVALID = 9, 10, 11

# GetNameList object classes
NAMED_VARIABLE, NAMED_VARIABLE_LIST, DOMAIN = 0, 2, 9

# Reject reasons: the problem type (CHOICE tag) and a code
REJECT_CONFIRMED_REQUEST, REJECT_CONFIRMED_RESPONSE, REJECT_PDU_ERROR = 1, 2, 5
UNRECOGNIZED_SERVICE, INVALID_INVOKE_ID, INVALID_ARGUMENT = 1, 3, 4
UNKNOWN_PDU_TYPE, INVALID_PDU = 0, 1

# ServiceError classes
ERR_ACCESS, ERR_DEFINITION, ERR_SERVICE, ERR_OTHERS = 7, 2, 4, 12

# What an IEC 61850 client proposes (ISO 9506-2 ParameterSupportOptions and ServiceSupportOptions bit
# positions): the parameter CBBs str1, str2, vnam, valt, vlis, and the service set libiec61850-style clients and
# servers advertise (status, GetNameList, Identify, Read, Write, GetVariableAccessAttributes, the named variable
# list services, file services, information report, conclude, ...).
PARAMETER_CBB = tuple(i in (0, 1, 2, 3, 7) for i in range(11))
SERVICES_BITS = 85
DEFAULT_SERVICES = (0, 1, 2, 4, 5, 6, 11, 12, 13, 37, 44, 65, 66, 67, 68, 71, 72, 73, 74, 76, 77, 78, 79, 83, 84)
MAX_INVOKE_ID = 0xFFFFFFFF


def services(*bits: int) -> tuple[bool, ...]:
    return tuple(i in bits for i in range(SERVICES_BITS))


@dataclasses.dataclass(frozen=True)
class Name:
    """ObjectName: domain-specific (``domain`` the logical device) or VMD-specific (``domain`` None)."""

    item: str
    domain: str | None = None

    def tlv(self) -> ber.Tlv:
        if self.domain is None:
            return ber.prim(ber.ctx(0), self.item.encode("ascii"))
        return ber.cons(ber.ctx(1, True), _ident(self.domain), _ident(self.item))

    def __str__(self) -> str:
        return f"{self.domain}/{self.item}" if self.domain is not None else self.item

    @classmethod
    def parse(cls, reference: str) -> Name:
        """``LD/LN$FC$DO$DA`` (or a VMD-specific name without a slash)."""
        domain, _, item = reference.rpartition("/")
        return cls(item, domain or None)


def _ident(s: str) -> ber.Tlv:
    return ber.prim(ber.univ(ber.VISIBLE_STRING), s.encode("ascii"))


# ---- services -------------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class ReadRequest:
    names: tuple[Name, ...]
    with_result: bool = False
    tag = READ

    def tlv(self) -> ber.Tlv:
        items = []
        if self.with_result:
            items.append(ber.prim(ber.ctx(0), ber.encode_bool(True)))
        items.append(ber.cons(ber.ctx(1, True), _var_list(self.names)))
        return ber.cons(ber.ctx(READ, True), *items)


@dataclasses.dataclass(frozen=True)
class ReadResponse:
    """``results``: a Data, or an int DataAccessError, per variable."""

    results: tuple[Data | int, ...]
    tag = READ

    def tlv(self) -> ber.Tlv:
        return ber.cons(ber.ctx(READ, True), ber.cons(ber.ctx(1, True), *(_access_result(r) for r in self.results)))


@dataclasses.dataclass(frozen=True)
class WriteRequest:
    names: tuple[Name, ...]
    values: tuple[Data, ...]
    tag = WRITE

    def tlv(self) -> ber.Tlv:
        return ber.cons(ber.ctx(WRITE, True), _var_list(self.names),
                        ber.cons(ber.ctx(0, True), *(v.tlv() for v in self.values)))


@dataclasses.dataclass(frozen=True)
class WriteResponse:
    """``results``: None for success, an int DataAccessError for a failure, per variable."""

    results: tuple[int | None, ...]
    tag = WRITE

    def tlv(self) -> ber.Tlv:
        return ber.cons(ber.ctx(WRITE, True), *(ber.prim(ber.ctx(1), b"") if r is None else
                                                 ber.prim(ber.ctx(0), ber.encode_uint(r)) for r in self.results))


@dataclasses.dataclass(frozen=True)
class GetNameListRequest:
    """``object_class`` NAMED_VARIABLE / NAMED_VARIABLE_LIST / DOMAIN; ``domain`` None for VMD scope."""

    object_class: int = DOMAIN
    domain: str | None = None
    continue_after: str | None = None
    tag = GET_NAME_LIST

    def tlv(self) -> ber.Tlv:
        scope = ber.prim(ber.ctx(0), b"") if self.domain is None else ber.prim(ber.ctx(1), self.domain.encode("ascii"))
        items = [ber.cons(ber.ctx(0, True), ber.prim(ber.ctx(0), ber.encode_uint(self.object_class))),
                 ber.cons(ber.ctx(1, True), scope)]
        if self.continue_after is not None:
            items.append(ber.prim(ber.ctx(2), self.continue_after.encode("ascii")))
        return ber.cons(ber.ctx(GET_NAME_LIST, True), *items)


@dataclasses.dataclass(frozen=True)
class GetNameListResponse:
    identifiers: tuple[str, ...]
    more_follows: bool = False
    tag = GET_NAME_LIST

    def tlv(self) -> ber.Tlv:
        # moreFollows is DEFAULT TRUE: it must be sent when false
        items = [ber.cons(ber.ctx(0, True), *(_ident(i) for i in self.identifiers))]
        if not self.more_follows:
            items.append(ber.prim(ber.ctx(1), ber.encode_bool(False)))
        return ber.cons(ber.ctx(GET_NAME_LIST, True), *items)


@dataclasses.dataclass(frozen=True)
class TypeSpec:
    """A TypeSpecification: ``kind`` a Data kind; ``size`` its width (bits, octets, characters; negative for
    variable length, as MMS writes it); ``components`` (name, TypeSpec) for structures; ``element`` and ``size``
    (number of elements) for arrays."""

    kind: str
    size: int = 0
    components: tuple[tuple[str, TypeSpec], ...] = ()
    element: TypeSpec | None = None

    def tlv(self) -> ber.Tlv:
        k = self.kind
        if k == "structure":
            comps = (ber.cons(SEQ_T, ber.prim(ber.ctx(0), n.encode("ascii")),
                              ber.cons(ber.ctx(1, True), t.tlv())) for n, t in self.components)
            return ber.cons(ber.ctx(2, True), ber.cons(ber.ctx(1, True), *comps))
        if k == "array":
            assert self.element is not None
            return ber.cons(ber.ctx(1, True), ber.prim(ber.ctx(1), ber.encode_uint(self.size)),
                            ber.cons(ber.ctx(2, True), self.element.tlv()))
        if k in ("boolean", "utc-time", "generalized-time", "obj-id"):
            return ber.prim(ber.ctx(TYPE_TAGS[k]), b"")
        if k == "floating-point":
            return ber.cons(ber.ctx(7, True), ber.prim(INT_T, ber.encode_uint(32 if self.size != 64 else 64)),
                            ber.prim(INT_T, ber.encode_uint(8 if self.size != 64 else 11)))
        if k == "binary-time":
            return ber.prim(ber.ctx(12), ber.encode_bool(bool(self.size)))
        return ber.prim(ber.ctx(TYPE_TAGS[k]), ber.encode_int(self.size))


TYPE_TAGS = {"array": 1, "structure": 2, "boolean": 3, "bit-string": 4, "integer": 5, "unsigned": 6,
             "floating-point": 7, "octet-string": 9, "visible-string": 10, "generalized-time": 11,
             "binary-time": 12, "bcd": 13, "obj-id": 15, "mms-string": 16, "utc-time": 17}
TYPE_KINDS = {v: k for k, v in TYPE_TAGS.items()}
SEQ_T, INT_T, VSTR_T = ber.univ(ber.SEQUENCE, True), ber.univ(ber.INTEGER), ber.univ(ber.VISIBLE_STRING)


@dataclasses.dataclass(frozen=True)
class GetVarAccessAttributesRequest:
    name: Name
    tag = GET_VAR_ACCESS_ATTRIBUTES

    def tlv(self) -> ber.Tlv:
        return ber.cons(ber.ctx(GET_VAR_ACCESS_ATTRIBUTES, True), ber.cons(ber.ctx(0, True), self.name.tlv()))


@dataclasses.dataclass(frozen=True)
class GetVarAccessAttributesResponse:
    type: TypeSpec
    deletable: bool = False
    tag = GET_VAR_ACCESS_ATTRIBUTES

    def tlv(self) -> ber.Tlv:
        return ber.cons(ber.ctx(GET_VAR_ACCESS_ATTRIBUTES, True), ber.prim(ber.ctx(0), ber.encode_bool(self.deletable)),
                        ber.cons(ber.ctx(2, True), self.type.tlv()))


Service = Union[ReadRequest, ReadResponse, WriteRequest, WriteResponse, GetNameListRequest, GetNameListResponse,
                GetVarAccessAttributesRequest, GetVarAccessAttributesResponse]


def _var_list(names: tuple[Name, ...]) -> ber.Tlv:
    """VariableAccessSpecification listOfVariable: each a VariableSpecification name."""
    return ber.cons(ber.ctx(0, True), *(ber.cons(SEQ_T, ber.cons(ber.ctx(0, True), n.tlv())) for n in names))


def _access_result(r: Data | int) -> ber.Tlv:
    if isinstance(r, Data):
        return r.tlv()
    return ber.prim(ber.ctx(0), ber.encode_uint(r))


# ---- PDUs -----------------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Initiate:
    """initiate-RequestPDU (``response`` False) or initiate-ResponsePDU, with the parameters an IEC 61850 client
    negotiates."""

    response: bool = False
    local_detail: int | None = 65000
    max_calling: int = 5
    max_called: int = 5
    nesting: int | None = 10
    version: int = 1
    parameter_cbb: tuple[bool, ...] = PARAMETER_CBB
    services: tuple[bool, ...] = services(*DEFAULT_SERVICES)

    def encode(self) -> bytes:
        items = []
        if self.local_detail is not None:
            items.append(ber.prim(ber.ctx(0), ber.encode_int(self.local_detail)))
        items += [ber.prim(ber.ctx(1), ber.encode_int(self.max_calling)),
                  ber.prim(ber.ctx(2), ber.encode_int(self.max_called))]
        if self.nesting is not None:
            items.append(ber.prim(ber.ctx(3), ber.encode_int(self.nesting)))
        items.append(ber.cons(ber.ctx(4, True), ber.prim(ber.ctx(0), ber.encode_int(self.version)),
                              ber.prim(ber.ctx(1), ber.encode_bits(self.parameter_cbb)),
                              ber.prim(ber.ctx(2), ber.encode_bits(self.services))))
        return ber.cons(ber.ctx(INITIATE_RESPONSE if self.response else INITIATE_REQUEST, True), *items).encode()


@dataclasses.dataclass(frozen=True)
class _Confirmed:
    """confirmed-Request and -Response share their layout (invokeID, then the service) under their own PDU tag."""

    invoke_id: int
    service: Service
    pdu_tag = CONFIRMED_REQUEST

    def encode(self) -> bytes:
        return ber.cons(ber.ctx(self.pdu_tag, True), ber.prim(INT_T, ber.encode_uint(self.invoke_id)),
                        self.service.tlv()).encode()


@dataclasses.dataclass(frozen=True)
class ConfirmedRequest(_Confirmed):
    pdu_tag = CONFIRMED_REQUEST


@dataclasses.dataclass(frozen=True)
class ConfirmedResponse(_Confirmed):
    pdu_tag = CONFIRMED_RESPONSE


@dataclasses.dataclass(frozen=True)
class ConfirmedError:
    """confirmed-ErrorPDU: ``error_class`` the ServiceError CHOICE tag, ``code`` its value."""

    invoke_id: int
    error_class: int = ERR_OTHERS
    code: int = 0

    def encode(self) -> bytes:
        err = ber.cons(ber.ctx(2, True), ber.cons(ber.ctx(0, True), ber.prim(ber.ctx(self.error_class),
                                                                            ber.encode_uint(self.code))))
        return ber.cons(ber.ctx(CONFIRMED_ERROR, True), ber.prim(ber.ctx(0), ber.encode_uint(self.invoke_id)),
                        err).encode()


@dataclasses.dataclass(frozen=True)
class Reject:
    """rejectPDU: ``problem`` the rejectReason CHOICE tag, ``code`` its value; ``invoke_id`` when known."""

    invoke_id: int | None
    problem: int = REJECT_PDU_ERROR
    code: int = INVALID_PDU

    def encode(self) -> bytes:
        items = [] if self.invoke_id is None else [ber.prim(ber.ctx(0), ber.encode_uint(self.invoke_id))]
        items.append(ber.prim(ber.ctx(self.problem), ber.encode_uint(self.code)))
        return ber.cons(ber.ctx(REJECT, True), *items).encode()


@dataclasses.dataclass(frozen=True)
class Conclude:
    response: bool = False

    def encode(self) -> bytes:
        return ber.prim(ber.ctx(CONCLUDE_RESPONSE if self.response else CONCLUDE_REQUEST), b"").encode()


@dataclasses.dataclass(frozen=True)
class InitiateError:
    error_class: int = ERR_OTHERS
    code: int = 0

    def encode(self) -> bytes:
        return ber.cons(ber.ctx(INITIATE_ERROR, True), ber.cons(ber.ctx(0, True), ber.prim(
            ber.ctx(self.error_class), ber.encode_uint(self.code)))).encode()


Pdu = Union[Initiate, InitiateError, ConfirmedRequest, ConfirmedResponse, ConfirmedError, Reject, Conclude]


# ---- decoding -------------------------------------------------------------------------------------------------

def decode(b: bytes) -> Pdu:
    """One MMS PDU, strictly."""
    try:
        root = ber.decode(b)
    except ber.BerError as exc:
        raise MmsError(str(exc).split(" (at byte")[0], exc.offset) from None
    try:
        return _decode_pdu(root)
    except ber.BerError as exc:  # a Data or primitive helper broke
        raise MmsError(str(exc).split(" (at byte")[0], exc.offset) from None


def decode_element(root: ber.Tlv) -> Pdu:
    """One MMS PDU from its element already decoded within a larger tree (the presentation layer's): the value
    :func:`decode` gives for the element's bytes. An error's offset is within that tree, not the PDU: callers
    that report it decode the bytes instead (``mms_peer.frame_pdu``)."""
    try:
        return _decode_pdu(root)
    except ber.BerError as exc:
        raise MmsError(str(exc).split(" (at byte")[0], exc.offset) from None


def _decode_pdu(root: ber.Tlv) -> Pdu:
    t = root.tag
    if t.cls != ber.TagClass.CONTEXT:
        raise MmsError(f"{t} is not an MMS PDU", root.offset)
    if t.number in (CONCLUDE_REQUEST, CONCLUDE_RESPONSE):
        if t.constructed or root.value:
            raise MmsError("conclude PDU is not an empty NULL", root.offset)
        return Conclude(t.number == CONCLUDE_RESPONSE)
    if not t.constructed:
        raise MmsError(f"{t} is not a constructed MMS PDU", root.offset)
    if t.number in (INITIATE_REQUEST, INITIATE_RESPONSE):
        return _decode_initiate(root)
    if t.number == INITIATE_ERROR:
        cls, code = _service_error(root)
        return InitiateError(cls, code)
    if t.number == REJECT:
        rkids = list(root.children)
        invoke = None
        if rkids and rkids[0].tag == ber.ctx(0):
            invoke = _uint(rkids.pop(0), "originalInvokeID", MAX_INVOKE_ID)
        if len(rkids) != 1 or rkids[0].tag.cls != ber.TagClass.CONTEXT or rkids[0].tag.constructed or \
                not 1 <= rkids[0].tag.number <= 10:
            raise MmsError("rejectReason missing or malformed", root.offset)
        return Reject(invoke, rkids[0].tag.number, _uint(rkids[0], "reject code", 0xFF))
    if t.number == CONFIRMED_ERROR:
        first = _need(root.children[:1], "invokeID", root)
        if first.tag != ber.ctx(0):
            raise MmsError("confirmed-Error without invokeID [0]", first.offset)
        invoke = _uint(first, "invokeID", MAX_INVOKE_ID)
        rest = [c for c in root.children[1:] if c.tag != ber.ctx(1)]  # modifierPosition is ignored
        if len(rest) != 1 or rest[0].tag != ber.ctx(2, True):
            raise MmsError("confirmed-Error without serviceError [2]", root.offset)
        cls, code = _service_error(rest[0])
        return ConfirmedError(invoke, cls, code)
    if t.number in (CONFIRMED_REQUEST, CONFIRMED_RESPONSE):
        kids = root.children
        if len(kids) != 2 or kids[0].tag != INT_T:
            raise MmsError("confirmed PDU is not (invokeID, service)" +
                           (" (modifiers are not supported)" if len(kids) == 3 else ""), root.offset)
        invoke = _uint(kids[0], "invokeID", MAX_INVOKE_ID)
        svc = kids[1]
        if svc.tag.cls != ber.TagClass.CONTEXT or svc.tag.number not in SERVICE_NAMES:
            raise UnknownService(f"service {svc.tag} is not Read, Write, GetNameList or "
                                 "GetVariableAccessAttributes", svc.offset, invoke)
        if t.number == CONFIRMED_REQUEST:
            return ConfirmedRequest(invoke, _decode_request(svc))
        return ConfirmedResponse(invoke, _decode_response(svc))
    raise MmsError(f"PDU {t} is not supported (initiate, confirmed, reject, conclude)", root.offset)


class UnknownService(MmsError):
    """A confirmed PDU for a service this codec does not know: a server rejects it with unrecognized-service
    (and the invokeID) rather than as garbage."""

    def __init__(self, message: str, offset: int, invoke_id: int) -> None:
        super().__init__(message, offset)
        self.invoke_id = invoke_id


def _need(kids: tuple[ber.Tlv, ...], what: str, where: ber.Tlv) -> ber.Tlv:
    if not kids:
        raise MmsError(f"{what} missing", where.offset)
    return kids[0]


def _uint(t: ber.Tlv, what: str, hi: int) -> int:
    if t.tag.constructed or not t.value or len(t.value) > 5 or not ber.int_is_minimal(t.value):
        raise MmsError(f"{what} is not a minimal INTEGER", t.offset)
    v = ber.decode_int(t.value)
    if not 0 <= v <= hi:
        raise MmsError(f"{what} {v} out of range 0..{hi}", t.offset)
    return v


def _sint(t: ber.Tlv, what: str, bits: int) -> int:
    if t.tag.constructed or not t.value or len(t.value) > 5 or not ber.int_is_minimal(t.value):
        raise MmsError(f"{what} is not a minimal INTEGER", t.offset)
    v = ber.decode_int(t.value)
    if not -(1 << (bits - 1)) <= v < (1 << (bits - 1)):
        raise MmsError(f"{what} {v} out of the Integer{bits} range", t.offset)
    return v


def _string(t: ber.Tlv, what: str) -> str:
    if t.tag.constructed or any(c < 0x20 or c > 0x7E for c in t.value):
        raise MmsError(f"{what} is not a VisibleString", t.offset)
    if not t.value or len(t.value) > 129:  # MMS Identifier: 1..32 in ISO 9506, IEC 61850-8-1 allows up to 129
        raise MmsError(f"{what} of {len(t.value)} characters (1..129)", t.offset)
    return t.value.decode("ascii")


def _bits(t: ber.Tlv, what: str) -> tuple[bool, ...]:
    if t.tag.constructed:
        raise MmsError(f"{what} is not a primitive BIT STRING", t.offset)
    try:
        return ber.decode_bits(t.value)
    except ber.BerError as exc:
        raise MmsError(f"{what}: {str(exc).split(' (at byte')[0]}", t.offset) from None


def _bool(t: ber.Tlv, what: str) -> bool:
    if t.tag.constructed or len(t.value) != 1:
        raise MmsError(f"{what} is not a BOOLEAN", t.offset)
    return t.value[0] != 0


def _fields(root: ber.Tlv, required: tuple[int, ...], optional: tuple[int, ...], what: str) -> dict[int, ber.Tlv]:
    """Context-tagged fields of a SEQUENCE in tag order, none twice, none unknown."""
    out: dict[int, ber.Tlv] = {}
    last = -1
    for c in root.children:
        n = c.tag.number
        if c.tag.cls != ber.TagClass.CONTEXT or n not in required + optional:
            raise MmsError(f"unexpected {c.tag} in {what}", c.offset)
        if n <= last:
            raise MmsError(f"{c.tag} out of order or twice in {what}", c.offset)
        last = n
        out[n] = c
    for n in required:
        if n not in out:
            raise MmsError(f"{what} without [{n}]", root.offset)
    return out


def _decode_initiate(root: ber.Tlv) -> Initiate:
    what = "initiate-Response" if root.tag.number == INITIATE_RESPONSE else "initiate-Request"
    f = _fields(root, (1, 2, 4), (0, 3), what)
    for n in (0, 1, 2, 3):
        if n in f and f[n].tag.constructed:
            raise MmsError(f"{what} [{n}] constructed", f[n].offset)
    detail = f[4]
    if not detail.tag.constructed:
        raise MmsError(f"{what} detail [4] not constructed", detail.offset)
    d = _fields(detail, (0, 1, 2), (), f"{what} detail")
    version = _sint(d[0], "version", 16)
    if version < 1:
        raise MmsError(f"MMS version {version}", d[0].offset)
    max_calling, max_called = _sint(f[1], "max outstanding calling", 16), _sint(f[2], "max outstanding called", 16)
    if max_calling < 1 or max_called < 1:
        raise MmsError("max outstanding calls below 1", root.offset)
    nesting = _sint(f[3], "nesting level", 8) if 3 in f else None
    cbb, svc = _bits(d[1], "parameter CBB"), _bits(d[2], "services supported")
    if len(svc) > 96:
        raise MmsError(f"services supported of {len(svc)} bits", d[2].offset)
    return Initiate(root.tag.number == INITIATE_RESPONSE, _sint(f[0], "local detail", 32) if 0 in f else None,
                    max_calling, max_called, nesting, version, cbb, svc)


def _service_error(t: ber.Tlv) -> tuple[int, int]:
    if not t.children or t.children[0].tag != ber.ctx(0, True) or len(t.children[0].children) != 1:
        raise MmsError("ServiceError without errorClass", t.offset)
    ec = t.children[0].children[0]
    if ec.tag.cls != ber.TagClass.CONTEXT or ec.tag.constructed or ec.tag.number > 12:
        raise MmsError(f"errorClass {ec.tag}", ec.offset)
    for extra in t.children[1:]:
        if extra.tag not in (ber.ctx(1), ber.ctx(2), ber.ctx(3, True)):
            raise MmsError(f"unexpected {extra.tag} in ServiceError", extra.offset)
    return ec.tag.number, _uint(ec, "error code", 0xFFFF)


def _decode_name(t: ber.Tlv) -> Name:
    if t.tag == ber.ctx(0):
        return Name(_string(t, "vmd-specific name"))
    if t.tag == ber.ctx(1, True):
        if len(t.children) != 2 or any(c.tag != VSTR_T for c in t.children):
            raise MmsError("domain-specific name is not (domainId, itemId)", t.offset)
        return Name(_string(t.children[1], "itemId"), _string(t.children[0], "domainId"))
    raise MmsError(f"ObjectName {t.tag} (vmd- or domain-specific)", t.offset)


def _decode_var_list(t: ber.Tlv) -> tuple[Name, ...]:
    if t.tag != ber.ctx(0, True):
        raise MmsError(f"variable access specification {t.tag} (only listOfVariable is supported)", t.offset)
    names = []
    for v in t.children:
        if v.tag != SEQ_T or not v.children or len(v.children) > 2:
            raise MmsError("listOfVariable entry is not a SEQUENCE", v.offset)
        if len(v.children) == 2:
            raise MmsError("alternateAccess is not supported", v.children[1].offset)
        spec = v.children[0]
        if spec.tag != ber.ctx(0, True) or len(spec.children) != 1:
            raise MmsError(f"variable specification {spec.tag} (only name is supported)", spec.offset)
        names.append(_decode_name(spec.children[0]))
    if not names:
        raise MmsError("empty listOfVariable", t.offset)
    return tuple(names)


def _decode_request(svc: ber.Tlv) -> Service:
    n = svc.tag.number
    if not svc.tag.constructed:
        raise MmsError(f"{SERVICE_NAMES[n]} request is not constructed", svc.offset)
    if n == READ:
        f = _fields(svc, (1,), (0,), "Read request")
        spec = f[1]
        if len(spec.children) != 1:
            raise MmsError("Read request variableAccessSpecification is not one CHOICE", spec.offset)
        return ReadRequest(_decode_var_list(spec.children[0]), _bool(f[0], "specificationWithResult")
                           if 0 in f else False)
    if n == WRITE:
        if len(svc.children) != 2 or svc.children[1].tag != ber.ctx(0, True):
            raise MmsError("Write request is not (variables, listOfData)", svc.offset)
        names = _decode_var_list(svc.children[0])
        values = tuple(data_decode(c) for c in svc.children[1].children)
        if len(values) != len(names):
            raise MmsError(f"Write request with {len(names)} variables and {len(values)} values", svc.offset)
        return WriteRequest(names, values)
    if n == GET_NAME_LIST:
        f = _fields(svc, (0, 1), (2,), "GetNameList request")
        oc = f[0]
        if len(oc.children) != 1 or oc.children[0].tag != ber.ctx(0):
            raise MmsError("objectClass is not a basicObjectClass", oc.offset)
        cls = _uint(oc.children[0], "objectClass", 11)
        sc = f[1]
        if len(sc.children) != 1 or sc.children[0].tag.constructed:
            raise MmsError("objectScope is not one CHOICE", sc.offset)
        scope = sc.children[0]
        if scope.tag.number in (0, 2):
            if scope.value:
                raise MmsError("vmd/aa scope is not NULL", scope.offset)
            domain = None
        elif scope.tag.number == 1:
            domain = _string(scope, "domain scope")
        else:
            raise MmsError(f"objectScope {scope.tag}", scope.offset)
        return GetNameListRequest(cls, domain, _string(f[2], "continueAfter") if 2 in f else None)
    # GetVariableAccessAttributes
    if len(svc.children) != 1 or svc.children[0].tag != ber.ctx(0, True) or len(svc.children[0].children) != 1:
        raise MmsError("GetVariableAccessAttributes request is not name [0] (address is not supported)",
                       svc.offset)
    return GetVarAccessAttributesRequest(_decode_name(svc.children[0].children[0]))


def _decode_response(svc: ber.Tlv) -> Service:
    n = svc.tag.number
    if not svc.tag.constructed:
        raise MmsError(f"{SERVICE_NAMES[n]} response is not constructed", svc.offset)
    if n == READ:
        f = _fields(svc, (1,), (0,), "Read response")
        results: list[Data | int] = []
        for r in f[1].children:
            if r.tag == ber.ctx(0):
                results.append(_uint(r, "DataAccessError", 11))
            else:
                results.append(data_decode(r))
        return ReadResponse(tuple(results))
    if n == WRITE:
        out: list[int | None] = []
        for r in svc.children:
            if r.tag == ber.ctx(1):
                if r.value:
                    raise MmsError("Write success is not NULL", r.offset)
                out.append(None)
            elif r.tag == ber.ctx(0):
                out.append(_uint(r, "DataAccessError", 11))
            else:
                raise MmsError(f"Write result {r.tag}", r.offset)
        if not out:
            raise MmsError("Write response without results", svc.offset)
        return WriteResponse(tuple(out))
    if n == GET_NAME_LIST:
        f = _fields(svc, (0,), (1,), "GetNameList response")
        if not f[0].tag.constructed or any(c.tag != VSTR_T for c in f[0].children):
            raise MmsError("listOfIdentifier is not a SEQUENCE OF Identifier", f[0].offset)
        return GetNameListResponse(tuple(_string(c, "identifier") for c in f[0].children),
                                   _bool(f[1], "moreFollows") if 1 in f else True)
    f = _fields(svc, (0, 2), (1,), "GetVariableAccessAttributes response")
    if 1 in f:
        raise MmsError("address in GetVariableAccessAttributes response is not supported", f[1].offset)
    if not f[2].tag.constructed or len(f[2].children) != 1:
        raise MmsError("typeSpecification is not one CHOICE", f[2].offset)
    return GetVarAccessAttributesResponse(decode_type(f[2].children[0]), _bool(f[0], "mmsDeletable"))


def decode_type(t: ber.Tlv, depth: int = 0) -> TypeSpec:
    if depth > 20:
        raise MmsError("type description nested deeper than 20", t.offset)
    if t.tag.cls != ber.TagClass.CONTEXT or t.tag.number not in TYPE_KINDS:
        raise MmsError(f"TypeSpecification {t.tag} (typeName is not supported)", t.offset)
    k = TYPE_KINDS[t.tag.number]
    if t.tag.constructed != (k in ("array", "structure", "floating-point")):
        raise MmsError(f"TypeSpecification {k} with the wrong constructed bit", t.offset)
    if k == "structure":
        f = _fields(t, (1,), (0,), "structure type")
        comps = []
        for c in f[1].children:
            if c.tag != SEQ_T or len(c.children) != 2 or c.children[0].tag != ber.ctx(0) or \
                    c.children[1].tag != ber.ctx(1, True) or len(c.children[1].children) != 1:
                raise MmsError("structure component is not (name, type)", c.offset)
            comps.append((_string(c.children[0], "component name"), decode_type(c.children[1].children[0],
                                                                                 depth + 1)))
        return TypeSpec(k, components=tuple(comps))
    if k == "array":
        f = _fields(t, (1, 2), (0,), "array type")
        if len(f[2].children) != 1:
            raise MmsError("array elementType is not one type", f[2].offset)
        return TypeSpec(k, _uint(f[1], "numberOfElements", MAX_INVOKE_ID), element=decode_type(f[2].children[0],
                                                                                               depth + 1))
    if k == "floating-point":
        if len(t.children) != 2 or any(c.tag != INT_T for c in t.children):
            raise MmsError("floating-point type is not (format width, exponent width)", t.offset)
        width = _uint(t.children[0], "format width", 255)
        return TypeSpec(k, 64 if width == 64 else 32)
    if k in ("boolean", "utc-time", "generalized-time", "obj-id"):
        if t.value:
            raise MmsError(f"{k} type is not NULL", t.offset)
        return TypeSpec(k)
    if k == "binary-time":
        return TypeSpec(k, int(_bool(t, "binary-time")))
    return TypeSpec(k, _sint(t, f"{k} size", 32))


# ---- sizes ----------------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Sizes:
    """Both sizes of one message: ``frame`` the whole TPKT frame as the TCP stream carries it (TPKT, COTP,
    session, presentation, [ACSE,] MMS) and ``pdu`` the MMS PDU alone."""

    frame: int
    pdu: int


def sizes(frame: bytes, contexts: osi.Contexts = osi.DEFAULT_IDS) -> Sizes:
    """Measure a TPKT frame (OsiError if it is not one whole frame with an MMS PDU in one DT)."""
    cotp = osi.cotp_decode(osi.tpkt_decode(frame))
    if not isinstance(cotp, osi.CotpData):
        raise osi.OsiError("COTP", "not a DT TPDU: carries no MMS PDU")
    upper = osi.upper_decode(cotp.data, contexts)
    if upper.mms is None:
        raise osi.OsiError("session", f"{upper.spdu.name} carries no MMS PDU")
    return Sizes(len(frame), len(upper.mms))


def request_frame(invoke_id: int, service: Service) -> bytes:
    return osi.data_frame(ConfirmedRequest(invoke_id, service).encode())


def response_frame(invoke_id: int, service: Service) -> bytes:
    return osi.data_frame(ConfirmedResponse(invoke_id, service).encode())
