"""The official OCPP charging-station test-case ids per version, as data, so coverage is a number anyone can check.

Only identifiers and their grouping are kept (ids, block or module, certification profile, Mandatory /
Conditional): they are facts. Step text and descriptions of the official documents are not reproduced; the
block and module labels below are our own short words. Sources (read December 2026):

- 1.6: the OCTT test-case document's 107 charging-station cases in 25 numbered modules, as listed by
  EVtivity/evtivity-skills ``skills/evtivity-conformance/references/charging-station-ocpp16.md``.
- 2.0.1: Part 5 "Certification Profiles" (Core & Advanced Security, 2023-06-30), tables 4.2 and 4.3, column
  "Conf. Test for Charging Station", parsed by x position from ``mobilityhouse/ocpp``
  ``docs/v201/OCPP-2.0.1_part5_certification_profiles.pdf``; the 230 charging-station ids equal the set of
  ``TC_*_CS`` ids in Part 6 of the same edition. Profiles other than Core and Advanced Security have no list in
  that edition, so their cases are not here.
- 2.1: the 578 charging-station ids (blocks A–S) of EVtivity/evtivity-skills
  ``skills/evtivity-conformance/references/charging-station-ocpp21.md``; 2.1 Part 5/6 were not published with
  Edition 1, so there is no Mandatory/Conditional split.
"""

from __future__ import annotations

import collections
import dataclasses
import re

OWN_PREFIX = "TC_VGI_"  # our own cases; never in an official list
OFFICIAL_ID = re.compile(r"TC_(?:\d{3}(?:_\d+)?|[A-Z]_\d{2,3})_CS(?:MS)?")  # what an official id looks like

BLOCKS_2X = {"A": "Security", "B": "Provisioning", "C": "Authorization", "D": "Local authorization list",
             "E": "Transactions", "F": "Remote control", "G": "Availability", "H": "Reservation",
             "I": "Tariff and cost", "J": "Meter values", "K": "Smart charging", "L": "Firmware management",
             "M": "Certificate management", "N": "Diagnostics", "O": "Display message", "P": "Data transfer",
             "Q": "Bidirectional power transfer", "R": "DER control", "S": "Battery swapping"}

# 1.6: (module number, our label, case numbers; "004.1" stands for TC_004_1_CS)
V16_MODULES: tuple[tuple[int, str, str], ...] = (
    (1, "Cold boot", "001 002"),
    (2, "Starting a session", "003 004.1 004.2"),
    (3, "Stopping a session", "005.1 005.2 005.3 068 069"),
    (4, "Authorization cache", "007.1 007.2 061.1 061.2"),
    (5, "Remote actions", "010 011.1 011.2 012"),
    (6, "Reset", "013 014 015 016"),
    (7, "Unlock", "017.1 017.2 018.1 018.2"),
    (8, "Configuration", "019 021"),
    (9, "Meter values", "070 071"),
    (10, "Basic actions, negative", "023.4"),
    (11, "More basic actions, negative", "023.5 024"),
    (12, "Remote actions, negative", "026 027 028"),
    (13, "Unlock, negative", "030 031"),
    (14, "Power failure", "032.1 032.2 034"),
    (15, "Offline behaviour", "036 037.1 037.2 037.3 038 039"),
    (16, "Configuration keys, negative", "040.1 040.2"),
    (17, "Fault behaviour", "041"),
    (18, "Local authorization list", "008.1 008.2 042.1 042.2 043 043.1 043.2 043.3"),
    (19, "Firmware", "044.1 044.2 044.3"),
    (20, "Diagnostics", "045.1 045.2"),
    (21, "Reservation", "046.1 046.2 047 048.1 048.2 048.3 048.4 049 050.1 050.2 050.3 050.4 051 052 053.1 053.2"),
    (22, "Remote trigger", "054 055"),
    (23, "Smart charging", "056 057 058.1 058.2 059 060 066 067 072 082"),
    (24, "Data transfer", "062"),
    (25, "Security", "073 074 075.1 075.2 076 077 078 079 080 081 083 084 085 086 087"),
)

# where each list comes from, as the catalog page says it
SOURCES = {
    "1.6": "the OCTT test-case document's charging-station cases by module, as listed in the public conformance "
           "report of EVtivity/evtivity-skills (`skills/evtivity-conformance/references/charging-station-ocpp16.md`)",
    "2.0.1": "Part 5 Certification Profiles (Core & Advanced Security, 2023-06-30), the charging-station column of "
             "its test-case tables (the PDF in mobilityhouse/ocpp `docs/v201/`); the same 230 ids are the `TC_*_CS` "
             "cases of Part 6 of that edition",
    "2.1": "the OCTT ids of the public conformance report of EVtivity/evtivity-skills "
           "(`skills/evtivity-conformance/references/charging-station-ocpp21.md`); OCA's 2.1 Part 5/6 were not "
           "published with Edition 1",
}

# 2.0.1 Part 5: profile -> block -> column value -> case numbers. "M"/"C" as printed in the charging-station
# column; "C*": the column holds a feature condition instead of a letter (conditional); "-": the column is empty,
# the row tests only the CSMS (listed as not applicable to a charging station).
V201_PROFILES: dict[str, dict[str, dict[str, str]]] = {
    "Core": {
        "A": {"M": "01 04 05 06 09 10 19 22", "C": "20", "-": "02 03"},
        "B": {"M": "01 02 03 06 07 09 10 11 12 13 20 21 22 23 30 32 33 34 35 36 37 39 43 45 46 51 52 53 57",
              "C": "08 15 25 26 27 28 29 41 47 49 50", "-": "31 42 44"},
        "C": {"C": "02 04 05 06 07 08 09 10 11 12 13 15 16 17 18 26 32 33 34 36 37 38 39 41 42 44 45 46 47 48 49 "
                   "56 57", "-": "20"},
        "E": {"M": "28 29 30 31 32 33 34 40 41 42 50 51",
              "C": "01 02 03 04 05 06 07 08 09 10 11 12 13 14 15 16 17 19 20 21 22 24 25 26 27 35 37 38 39 43 44 "
                   "45 52 54", "-": "53"},
        "F": {"M": "04 08 09 20", "C": "01 02 03 05 07 10 11 12 13 14 15 16 17 18 19 23 24 26 27", "C*": "06"},
        "G": {"M": "01 02 03 04 05 06 07 08 09 10 11 12 13 14 15 16 17 18 19 21", "-": "20"},
        "J": {"M": "01 02 03 07 09 10", "C": "04 06 08 11"},
        "K": {"C": "38"},
        "L": {"M": "01 02 03 05 06 07 08 18", "C": "10 11 12 13 14 15 16", "-": "04 09"},
        "M": {"M": "01 02 07 12 13 17 18 19 20 22 23", "C": "09 30 31", "-": "05 21"},
        "N": {"M": "25 26 32 35", "C": "27 28 30 31 36 62", "-": "29 34"},
        "P": {"M": "01 03", "-": "02"},
    },
    "Advanced Security": {"A": {"M": "07 11 14 15", "C": "21 23", "-": "08"}},
}
CSMS_ONLY = "Part 5 gives this row no charging-station test (only the CSMS is tested)"

# 2.1: block -> case numbers; "a-b" is every number from a to b
V21_BLOCKS: dict[str, str] = {
    "A": "01 04-07 09-12 14 15 19-23",
    "B": "01-03 06 07 09-30 32-37 39 41 43 45-47 49-57 100-105 107-113",
    "C": "02 04-18 21-34 36-58 100 103-116 119-124 127-130",
    "D": "01-08 10",
    "E": "01-17 19-22 24-35 37-46 50-52 54 100-108 112-116",
    "F": "01-20 23 24 26 27 100",
    "G": "01-21",
    "H": "01-04 06-10 12-19 21-24",
    "I": "01 02 07 100-121",
    "J": "01-04 06-11",
    "K": "01-16 19 21-24 28-42 47 52-54 56-58 60 100-110 112-116 118-125 129-136",
    "L": "01-03 05-08 10-16 18",
    "M": "01-04 07 09 12-20 22-31 100 101",
    "N": "01-13 15-41 43-45 47 48 51-53 56 61-63 100-106 108 109",
    "O": "01-14 17-20 22 24 27 28 30 32-39 100 101",
    "P": "01 03 04",
    "Q": "100-104 107 109-120 122 123 125-128 130",
    "R": "100-106 108",
    "S": "102 104 105",
}

# the totals the sources publish (2.0.1: counted in Part 5's charging-station column), which the lists above
# must reproduce; count_problems() compares them
PUBLISHED = {"1.6": 107, "2.0.1 Core M": 104, "2.0.1 Core C": 119, "2.0.1 Core C*": 1,
             "2.0.1 Advanced Security M": 4, "2.0.1 Advanced Security C": 2, "2.1": 578}
PUBLISHED_PER_BLOCK = {
    "1.6": dict(zip((f"{n:02d}" for n in range(1, 26)),
                    (2, 3, 5, 4, 4, 4, 4, 2, 2, 1, 2, 3, 2, 3, 6, 2, 1, 8, 3, 2, 16, 2, 10, 1, 15))),
    "2.0.1 Core M": {"A": 8, "B": 29, "E": 12, "F": 4, "G": 20, "J": 6, "L": 8, "M": 11, "N": 4, "P": 2},
    "2.0.1 Core C": {"A": 1, "B": 11, "C": 33, "E": 34, "F": 19, "J": 4, "K": 1, "L": 7, "M": 3, "N": 6},
    "2.1": {"A": 16, "B": 61, "C": 78, "D": 9, "E": 61, "F": 25, "G": 21, "H": 21, "I": 25, "J": 10, "K": 76,
            "L": 15, "M": 27, "N": 61, "O": 33, "P": 3, "Q": 25, "R": 8, "S": 3},
}


@dataclasses.dataclass(frozen=True)
class OfficialCase:
    id: str
    version: str  # "1.6", "2.0.1", "2.1"
    block: str  # 2.x: block letter; 1.6: module number, two digits
    block_title: str
    profile: str = ""  # 2.0.1: the Part 5 certification profile
    level: str = ""  # 2.0.1: "M", "C", "C*" (conditional by a feature condition); "" where none is published
    not_applicable: str = ""  # why the case does not apply to a charging station under test

    @property
    def charging_station(self) -> bool:
        """A case of the charging-station catalog (counted in the coverage), not a CSMS-only row."""
        return not self.not_applicable


def _numbers(spec: str) -> list[int]:
    out: list[int] = []
    for part in spec.split():
        lo, _, hi = part.partition("-")
        out.extend(range(int(lo), int(hi or lo) + 1))
    return out


def _v16() -> list[OfficialCase]:
    return [OfficialCase(f"TC_{n.replace('.', '_')}_CS", "1.6", f"{num:02d}", title)
            for num, title, cases in V16_MODULES for n in cases.split()]


def _v201() -> list[OfficialCase]:
    out = []
    for profile, blocks in V201_PROFILES.items():
        for block, columns in blocks.items():
            for level, cases in columns.items():
                for n in cases.split():
                    if level == "-":
                        out.append(OfficialCase(f"TC_{block}_{n}_CSMS", "2.0.1", block, BLOCKS_2X[block], profile,
                                                "", CSMS_ONLY))
                    else:
                        out.append(OfficialCase(f"TC_{block}_{n}_CS", "2.0.1", block, BLOCKS_2X[block], profile,
                                                level))
    return sorted(out, key=lambda c: (c.block, int(c.id.split("_")[2])))


def _v21() -> list[OfficialCase]:
    return [OfficialCase(f"TC_{block}_{n:02d}_CS", "2.1", block, BLOCKS_2X[block])
            for block, spec in V21_BLOCKS.items() for n in _numbers(spec)]


VERSIONS = ("1.6", "2.0.1", "2.1")
_BUILD = {"1.6": _v16, "2.0.1": _v201, "2.1": _v21}


def catalog(version: str) -> list[OfficialCase]:
    """Every official case of `version`, in block order: the charging-station ones and the rows marked not
    applicable to a charging station."""
    return _BUILD[version]()


def official_ids(version: str) -> set[str]:
    return {c.id for c in catalog(version)}


def is_official_looking(case_id: str) -> bool:
    """Shaped like an OCTT id (so a typo in one is caught), and not one of our own TC_VGI_ cases."""
    return not case_id.startswith(OWN_PREFIX) and OFFICIAL_ID.fullmatch(case_id) is not None


def _tally(key: str) -> collections.Counter[str]:
    """Charging-station cases per block for a PUBLISHED key ("1.6", "2.1", "2.0.1 <profile> <level>")."""
    version, _, rest = key.partition(" ")
    profile, _, level = rest.rpartition(" ")
    return collections.Counter(c.block for c in catalog(version) if c.charging_station
                               and (not rest or (c.profile, c.level) == (profile, level)))


def count_problems() -> list[str]:
    """Where the lists differ from the published totals and per-block counts (empty when they agree)."""
    out = [f"{key}: {sum(_tally(key).values())} ids, published {n}" for key, n in PUBLISHED.items()
           if sum(_tally(key).values()) != n]
    out += [f"{key} block {block}: {_tally(key)[block]} ids, published {n}"
            for key, blocks in PUBLISHED_PER_BLOCK.items() for block, n in blocks.items() if _tally(key)[block] != n]
    out += [f"{key}: ids in block {block}, which publishes none" for key, blocks in PUBLISHED_PER_BLOCK.items()
            for block in _tally(key) if block not in blocks]
    return out
