"""Every list the fake 2030.5 server serves pages as IEEE 2030.5 lists do: ``s`` is the index of the first item
(default 0), ``l`` the most items to return (default 1, so a client that wants more must say so), ``all`` the
number of items in the whole list and ``results`` the number in this answer. A client paging through a list
(cactus-client asks ``?s=0&l=3``, ``?s=3&l=3``, ... until an empty page) must get each item once and then an
empty page: a list that ignored ``s`` made such a client loop on its first page."""

from __future__ import annotations

from typing import Iterator

import pytest

from vgitest.sep2 import codec, handlers
from vgitest.sep2.codec import as_list
from vgitest.sep2.server import FakeSep2Server

from .payloads import LFDI, RESPONSE
from .test_server import call, valid

ALL = 255  # the most items a page of this server holds


@pytest.fixture
def served(sep2_schema_dir: object) -> Iterator[tuple[FakeSep2Server, list[tuple[str, str]]]]:
    """A server holding items in every list it serves, and those lists (path, item element)."""
    srv = FakeSep2Server().start()
    st = srv.state
    dev = st.register_device(LFDI)
    st.register_device("0" * 39 + "1")  # another client's EndDevice: not in this client's lists (no TLS: all are)
    dev.fsas.append(st.add_fsa("feeder 7"))
    prog = st.add_program(1, default={"opModMaxLimW": "9000"})
    for primacy in (2, 3):
        st.add_program(primacy)
    for i in range(3):
        st.add_control(prog, {"opModMaxLimW": str(1000 * (i + 1))}, start_in_s=-5 if i == 0 else 600 * (i + 1),
                       duration_s=300)
        st.add_curve(prog, 11, [(95, 10), (105, -10)])
        st.responses.append({**RESPONSE, "status": str(i + 1)})
        dev.log_events.append({"createdDateTime": "1767225600", "details": f"e{i}", "extendedData": "0",
                               "functionSet": "0", "logEventCode": "1", "logEventID": str(i), "logEventPEN": "0",
                               "profileID": "0"})
        st.mirror_usage_points[st.next_number()] = {"@href": f"/mup/{100 + i}", "mRID": f"{i:032X}",
                                                    "description": f"m{i}", "roleFlags": "13", "serviceCategoryKind": "0",
                                                    "status": "1", "deviceLFDI": LFDI}
    d, p = f"/edev/{dev.number}", f"/derp/{prog.number}"
    lists = [("/edev", "EndDevice"), (f"{d}/fsa", "FunctionSetAssignments"),
             (f"{d}/fsa/1/derp", "DERProgram"), (f"{p}/derc", "DERControl"), (f"{p}/actderc", "DERControl"),
             (f"{p}/dc", "DERCurve"), (f"{d}/der", "DER"), ("/rsps", "ResponseSet"), (handlers.RESPONSES, "Response"),
             ("/mup", "MirrorUsagePoint"), (f"{d}/lel", "LogEvent"), (f"{d}/sub", "Subscription")]
    yield srv, lists
    srv.stop()


def get_list(srv: FakeSep2Server, path: str) -> dict:
    status, _, doc = call(srv, "GET", path)
    assert status == 200 and doc is not None and isinstance(doc.body, dict), (path, status)
    assert valid(doc), path
    return doc.body


def hrefs(body: dict, item: str) -> list[str]:
    return [x["@href"] for x in as_list(body.get(item)) if isinstance(x, dict)]


def test_every_list_pages_with_s_and_l(served: tuple[FakeSep2Server, list[tuple[str, str]]]) -> None:
    srv, lists = served
    for path, item in lists:
        whole = get_list(srv, f"{path}?l={ALL}")
        every, total = hrefs(whole, item), int(whole["@all"])
        assert total == len(every) and whole["@results"] == str(total), (path, whole["@all"], whole["@results"])
        assert len(set(every)) == total, (path, every)
        for size in (1, 2, 3):  # page through it as a client does, one empty page past the end
            got: list[str] = []
            for start in range(0, total + size + 1, size):
                body = get_list(srv, f"{path}?s={start}&l={size}")
                items = hrefs(body, item)
                assert body["@all"] == str(total) and body["@results"] == str(len(items)), (path, start, size, body)
                assert items == every[start:start + size], (path, start, size, items)
                got += items
            assert got == every, (path, size)
        first = get_list(srv, path)  # no l: one item (the default limit)
        assert hrefs(first, item) == every[:1] and first["@results"] == str(min(1, total)), (path, first)
        zero = get_list(srv, f"{path}?l=0")  # how many, without the items
        assert zero["@all"] == str(total) and zero["@results"] == "0" and item not in zero, path


def test_lists_with_one_item_end_after_it(served: tuple[FakeSep2Server, list[tuple[str, str]]]) -> None:
    """The two lists cactus-client looped on: the DERList and the ResponseSetList."""
    srv, lists = served
    der = next(p for p, item in lists if item == "DER")
    for path, item in ((der, "DER"), ("/rsps", "ResponseSet")):
        body = get_list(srv, f"{path}?s=3&l=3")
        assert body["@all"] == "1" and body["@results"] == "0" and item not in body, (path, body)


def test_list_links_count_what_the_list_holds(served: tuple[FakeSep2Server, list[tuple[str, str]]]) -> None:
    """A ListLink's ``all`` (where the server gives one) is the number of items the linked list holds."""
    srv, lists = served
    links: list[tuple[str, str]] = []
    for path in ["/dcap", *(f"{p}?l={ALL}" for p, _ in lists)]:
        status, _, doc = call(srv, "GET", path)
        stack = [doc.body] if doc is not None else []
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                for k, v in node.items():
                    if k.endswith("ListLink") and isinstance(v, dict) and "@all" in v:
                        links.append((v["@href"], v["@all"]))
                    stack.append(v)
            elif isinstance(node, list):
                stack.extend(node)
    assert links
    for href, count in set(links):
        assert get_list(srv, f"{href}?l=0")["@all"] == count, (href, count)


def test_bad_paging_values_fall_back_to_the_defaults(served: tuple[FakeSep2Server, list[tuple[str, str]]]) -> None:
    srv, _ = served
    body = get_list(srv, "/edev?s=x&l=-4")
    assert body["@results"] == "1" and body["@all"] == "2"
    assert codec.as_list(get_list(srv, "/edev?l=99999").get("EndDevice"))  # capped, not refused
