"""Small hand-written OpenADR 2.0b payloads for the validator tests, written from oadr_20b.xsd.

Each body is wrapped by :func:`wrap` in an oadrPayload whose namespace declarations use either a
default namespace for oadr or an ``oadr:`` prefix, so tests can check that findings do not depend on
the prefixes a VEN picks.
"""

from __future__ import annotations

from lxml import etree

OADR = "http://openadr.org/oadr-2.0b/2012/07"
DECLS = {
    "ei": "http://docs.oasis-open.org/ns/energyinterop/201110",
    "pyld": "http://docs.oasis-open.org/ns/energyinterop/201110/payloads",
    "emix": "http://docs.oasis-open.org/ns/emix/2011/06",
    "xcal": "urn:ietf:params:xml:ns:icalendar-2.0",
    "strm": "urn:ietf:params:xml:ns:icalendar-2.0:stream",
}


def wrap(body: str, *, oadr_prefix: str = "") -> etree._Element:
    """``<oadrPayload><oadrSignedObject>body</...>``; in ``body`` oadr elements are written ``{o}name``."""
    o = f"{oadr_prefix}:" if oadr_prefix else ""
    decl = f'xmlns:{oadr_prefix}="{OADR}"' if oadr_prefix else f'xmlns="{OADR}"'
    others = " ".join(f'xmlns:{p}="{u}"' for p, u in DECLS.items())
    text = (f"<{o}oadrPayload {decl} {others}>\n<{o}oadrSignedObject>\n"
            f"{body.format(o=o)}\n</{o}oadrSignedObject>\n</{o}oadrPayload>")
    return etree.fromstring(text.encode())


POLL = '<{o}oadrPoll ei:schemaVersion="2.0b"><ei:venID>ven-1</ei:venID></{o}oadrPoll>'

QUERY_REGISTRATION = '<{o}oadrQueryRegistration ei:schemaVersion="2.0b"><pyld:requestID>q-1</pyld:requestID>' \
                     '</{o}oadrQueryRegistration>'


def create_party_registration(*, transport: str = "simpleHttp", ven_after_profile: bool = False) -> str:
    ven = "<ei:venID>ven-1</ei:venID>"
    return f"""<{{o}}oadrCreatePartyRegistration ei:schemaVersion="2.0b">
  <pyld:requestID>reg-1</pyld:requestID>
  {"" if ven_after_profile else ven}
  <{{o}}oadrProfileName>2.0b</{{o}}oadrProfileName>
  {ven if ven_after_profile else ""}
  <{{o}}oadrTransportName>{transport}</{{o}}oadrTransportName>
  <{{o}}oadrTransportAddress>https://ven.example/oadr</{{o}}oadrTransportAddress>
  <{{o}}oadrReportOnly>false</{{o}}oadrReportOnly>
  <{{o}}oadrXmlSignature>false</{{o}}oadrXmlSignature>
  <{{o}}oadrVenName>lab VEN</{{o}}oadrVenName>
  <{{o}}oadrHttpPullModel>true</{{o}}oadrHttpPullModel>
</{{o}}oadrCreatePartyRegistration>"""


RESPONSE = """<{o}oadrResponse ei:schemaVersion="2.0b">
  <ei:eiResponse><ei:responseCode>200</ei:responseCode><ei:responseDescription>OK</ei:responseDescription>
    <pyld:requestID>req-9</pyld:requestID></ei:eiResponse>
  <ei:venID>ven-1</ei:venID>
</{o}oadrResponse>"""

CREATED_EVENT = """<{o}oadrCreatedEvent ei:schemaVersion="2.0b">
  <pyld:eiCreatedEvent>
    <ei:eiResponse><ei:responseCode>200</ei:responseCode><pyld:requestID/></ei:eiResponse>
    <ei:eventResponses><ei:eventResponse>
      <ei:responseCode>200</ei:responseCode>
      <pyld:requestID>req-7</pyld:requestID>
      <ei:qualifiedEventID><ei:eventID>ev-1</ei:eventID><ei:modificationNumber>0</ei:modificationNumber></ei:qualifiedEventID>
      <ei:optType>optIn</ei:optType>
    </ei:eventResponse></ei:eventResponses>
    <ei:venID>ven-1</ei:venID>
  </pyld:eiCreatedEvent>
</{o}oadrCreatedEvent>"""


def _interval(uid: int, value: str) -> str:
    return (f"<ei:interval><xcal:duration><xcal:duration>PT1H</xcal:duration></xcal:duration>"
            f"<xcal:uid><xcal:text>{uid}</xcal:text></xcal:uid>"
            f"<ei:signalPayload><ei:payloadFloat><ei:value>{value}</ei:value></ei:payloadFloat></ei:signalPayload>"
            f"</ei:interval>")


def distribute_event(*, status: str = "far", second_value: str = "2") -> str:
    return f"""<{{o}}oadrDistributeEvent ei:schemaVersion="2.0b">
  <pyld:requestID>req-7</pyld:requestID>
  <ei:vtnID>vtn-1</ei:vtnID>
  <{{o}}oadrEvent>
    <ei:eiEvent>
      <ei:eventDescriptor>
        <ei:eventID>ev-1</ei:eventID>
        <ei:modificationNumber>0</ei:modificationNumber>
        <ei:eiMarketContext><emix:marketContext>http://vtn.example/programs/peak</emix:marketContext></ei:eiMarketContext>
        <ei:createdDateTime>2024-05-01T12:00:00Z</ei:createdDateTime>
        <ei:eventStatus>{status}</ei:eventStatus>
      </ei:eventDescriptor>
      <ei:eiActivePeriod>
        <xcal:properties>
          <xcal:dtstart><xcal:date-time>2024-05-02T16:00:00Z</xcal:date-time></xcal:dtstart>
          <xcal:duration><xcal:duration>PT2H</xcal:duration></xcal:duration>
        </xcal:properties>
        <xcal:components/>
      </ei:eiActivePeriod>
      <ei:eiEventSignals>
        <ei:eiEventSignal>
          <strm:intervals>{_interval(0, "1")}{_interval(1, second_value)}</strm:intervals>
          <ei:signalName>SIMPLE</ei:signalName>
          <ei:signalType>level</ei:signalType>
          <ei:signalID>sig-1</ei:signalID>
          <ei:currentValue><ei:payloadFloat><ei:value>0</ei:value></ei:payloadFloat></ei:currentValue>
        </ei:eiEventSignal>
      </ei:eiEventSignals>
      <ei:eiTarget><ei:venID>ven-1</ei:venID></ei:eiTarget>
    </ei:eiEvent>
    <{{o}}oadrResponseRequired>always</{{o}}oadrResponseRequired>
  </{{o}}oadrEvent>
</{{o}}oadrDistributeEvent>"""


VALID = {
    "oadrPoll": POLL,
    "oadrQueryRegistration": QUERY_REGISTRATION,
    "oadrCreatePartyRegistration": create_party_registration(),
    "oadrResponse": RESPONSE,
    "oadrCreatedEvent": CREATED_EVENT,
    "oadrDistributeEvent": distribute_event(),
}
