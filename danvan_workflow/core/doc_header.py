"""The header block of an administrative document, by the body that issues it.

Two forms, from the rules on how documents are presented:

* a Party body (cấp ủy, ban của cấp ủy, tổ chức cơ sở đảng, and a steering committee
  set up by a Party committee) — Hướng dẫn 36-HD/VPTW (2018): on the right
  "ĐẢNG CỘNG SẢN VIỆT NAM"; on the left the Party organisation above it, the body's
  name, a star, then "Số: …-BC/…";
* any other body (state agency, people's council, the Front and mass organisations,
  enterprises, schools) — Nghị định 30/2020/NĐ-CP, Phụ lục I: on the right the national
  title "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" and motto "Độc lập - Tự do - Hạnh phúc";
  on the left the managing body, the body's name, a short rule, then "Số: …/BC-…".

Both end with the place and date in italics: "Cao Lộc, ngày 03 tháng 12 năm 2026".
Pure: the renderer (adapters/exporters/docx_report.py) lays it out.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

PARTY_KINDS = {"party_committee", "party_board", "base_party_org"}
PARTY_TITLE = "ĐẢNG CỘNG SẢN VIỆT NAM"
NATIONAL_TITLE = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
# "Tỉnh ủy Tây Ninh", "Huyện ủy Cao Lộc", "thị xã Đức Phổ", "Ủy ban nhân dân tỉnh Đồng Nai"
_PLACE = re.compile(r"(?:(?:tỉnh|huyện|thị|thành|quận)\s+ủy|tỉnh|thành phố|huyện|thị xã|quận|"
                    r"xã|phường|thị trấn)\s+(.+)$", re.IGNORECASE)


@dataclass(frozen=True)
class Body:
    name: str
    kind: str
    parent: Body | None = None


@dataclass(frozen=True)
class HeaderBlock:
    party: bool
    upper: str | None  # the body above the issuer, upper case
    issuer: str  # the issuer, upper case
    number: str  # "Số: …-BC/…"
    right_title: str
    motto: str | None
    place_date: str


def is_party(body: Body) -> bool:
    """A Party body, or a steering committee set up by one."""
    if body.kind in PARTY_KINDS:
        return True
    if body.kind == "steering_committee" and body.parent is not None:
        return is_party(body.parent)
    return False


def place_of(body: Body) -> str:
    """The place named by the body or the bodies above it ('Cao Lộc'), else '……'."""
    b: Body | None = body
    while b is not None:
        found = _PLACE.search(b.name)
        if found:
            return found.group(1).strip()
        b = b.parent
    return "……"


def date_line(place: str, day: dt.date) -> str:
    return f"{place}, ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"


def header_for(body: Body, day: dt.date, kind_code: str = "BC") -> HeaderBlock:
    party = is_party(body)
    upper = body.parent.name.upper() if body.parent is not None else None
    if party:
        return HeaderBlock(True, upper, body.name.upper(), f"Số:        -{kind_code}/",
                           PARTY_TITLE, None, date_line(place_of(body), day))
    return HeaderBlock(False, upper, body.name.upper(), f"Số:        /{kind_code}-",
                       NATIONAL_TITLE, MOTTO, date_line(place_of(body), day))
