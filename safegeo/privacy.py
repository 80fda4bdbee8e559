"""The public filter for personal data: the one place that decides what a ``--public`` output may hold.

Every public writer calls it: the HTML maps (:mod:`safegeo.maps`), the
evacuation, coverage and response GeoPackages and CSVs written with
``public=True``, and the vehicle registry's list, show, history and export.

Three rules, applied by :func:`public_frame` (and :func:`public_record` for one
record):

1. **Contact and personal columns are dropped**, recognised by name
   (:func:`is_sensitive`) in English and Thai, whatever the case, separators
   or word order: ``tel``, ``เบอร์โทร``, ``driver_name``, ``e-mail``,
   ``mobile_no``, ``Contact Phone``, ``ownerName``, ``ผู้ติดต่อ``,
   ``LINE ID``, ``national_id``, ``ชื่อ-สกุล``, ``updated_by`` ...  Place
   names are public: ``name``, ``name_en``, ``name_th``, ``road_name``,
   ``district``, ``ชื่อหมู่บ้าน``, ``ชื่อตำบล``.
2. **Free-text columns are dropped** (:func:`is_free_text`): ``notes``,
   ``note``, ``remark(s)``, ``comment(s)``, ``description``, ``details``,
   ``memo``, ``หมายเหตุ``, ``รายละเอียด`` ...  Free text is where people
   write "driver Somchai 081-222-3334": scrubbing the number would still
   publish the driver's name, and no pattern finds every name, so the safe
   default is to leave free text out of public outputs altogether.
3. **Every other text value is scrubbed** (:func:`scrub_text`) as a second
   net: Thai phone numbers, e-mail addresses, LINE ids and Thai national id
   numbers are replaced by :data:`REMOVED`, so a shelter named
   "Somchai's house 081-222-3334" is published as "Somchai's house [removed]".

Non-public outputs are never filtered: planners see everything.

Name patterns (:data:`SENSITIVE_WORDS`, :data:`SENSITIVE_PAIRS`,
:data:`SENSITIVE_ALONE`, :data:`THAI_SENSITIVE`, :data:`FREE_TEXT_WORDS`,
:data:`THAI_FREE_TEXT`) work on the words of a column name: camelCase and any
separator split words (``ContactPhone``, ``contact-phone``, ``contact phone``),
and glued words are split by a small vocabulary (``phoneno`` → phone, no;
``lineid`` → line, id).  Thai has no spaces between words, so Thai markers are
looked for as substrings after removing spaces and punctuation, with a few
public words (``โทรทัศน์`` television, ``ออนไลน์`` online, ...) taken out first.

Content patterns (:data:`CONTENT_PATTERNS`):

=================  ===========================================================
phone (Thai)       mobile ``08x-xxx-xxxx`` / ``06x`` / ``09x`` and landline
                   ``02-xxx-xxxx``, ``073-xxx-xxx``, in any grouping with
                   spaces, dashes or dots, ``(073) 511 234``, and the
                   ``+66 81 222 3334`` / ``+66 (0) 81 ...`` / ``0066 ...``
                   forms; the digit count must be that of a Thai number
e-mail             ``name@example.org``
LINE id            ``line: somchai99``, ``LINE ID @somchai``, ``ไลน์ somchai``,
                   ``ไอดีไลน์: x`` (the label is kept, the id removed)
national id        13 digits (``1-2345-67890-12-1``) with a valid Thai check digit
=================  ===========================================================

Not covered: postal addresses (a shelter's address is public, a person's is
not, and the name of the column rarely says which), names written in
columns that are neither personal nor free text, and photos.

Examples
--------
>>> scrub_text("call 081-222-3334 or somchai@example.org, line: somchai99")
'call [removed] or [removed], line: [removed]'
>>> is_sensitive("Contact Phone"), is_sensitive("เบอร์โทร"), is_sensitive("name_th")
(True, True, False)
>>> import pandas as pd
>>> df = pd.DataFrame({"name": ["School 073-511-234"], "tel": ["0812223334"], "notes": ["driver Somchai"]})
>>> public_frame(df).to_dict("records")
[{'name': 'School [removed]'}]
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

F = TypeVar("F", bound=pd.DataFrame)

#: What replaces a phone number, e-mail address, LINE id or national id in public text.
REMOVED = "[removed]"

# ---------------------------------------------------------------------------------------------
# column names
# ---------------------------------------------------------------------------------------------
#: A column holding any of these words is personal (``tel``, ``mobile_no``, ``Contact Phone``, ``owner``).
SENSITIVE_WORDS = frozenset({
    "phone", "phones", "telephone", "tel", "mobile", "mobiles", "cellphone", "fax", "msisdn", "whatsapp",
    "contact", "contacts", "email", "emails", "mail",
    "owner", "owners", "driver", "drivers", "person", "personal",
    "citizen", "surname", "passport", "ssn",
})
#: Words that make a column personal together, in any order (``first_name``, ``name_first``, ``line_id``).
SENSITIVE_PAIRS = frozenset({
    frozenset(p) for p in (
        ("line", "id"), ("national", "id"), ("id", "card"), ("cell", "no"), ("cell", "number"), ("cell", "num"),
        *((w, "name") for w in (
            "first", "last", "full", "given", "family", "middle", "maiden", "nick", "user",
            "staff", "officer", "head", "chief", "manager", "coordinator", "volunteer", "patient", "resident",
            "reporter", "caller", "operator", "nurse", "doctor", "responsible", "informant", "victim",
        )),
    )
})
#: Words that are personal only as the whole name (``line`` is a LINE id; ``line_type`` is not).
SENSITIVE_ALONE = frozenset({("line",), ("cell",), ("user",), ("username",), ("author",)})
#: Thai markers, found anywhere in the name: phone, contact, e-mail, LINE, owner, driver, surname, id card ...
THAI_SENSITIVE = (
    "เบอร์", "โทร", "มือถือ", "ติดต่อ", "อีเมล", "ไลน์", "เจ้าของ", "คนขับ", "ผู้ขับ", "พนักงานขับ",
    "สกุล", "ชื่อผู้", "ชื่อจริง", "ชื่อเล่น", "ชื่อเจ้าหน้าที่", "เลขบัตร", "บัตรประชาชน", "เลขประจำตัวประชาชน",
    "ผู้รับผิดชอบ", "ผู้ประสานงาน", "ผู้แจ้ง", "ผู้บันทึก",
)
#: Thai words holding a marker that are not personal: television, telecom, online, currency.
THAI_PUBLIC = ("โทรทัศน์", "โทรคมนาคม", "ออนไลน์", "สกุลเงิน")
#: A column holding any of these words is free text (``notes``, ``driver_remarks``).
FREE_TEXT_WORDS = frozenset({
    "note", "notes", "remark", "remarks", "comment", "comments", "description", "descriptions", "desc",
    "memo", "memos", "detail", "details", "annotation", "annotations", "freetext",
})
#: Thai free-text markers: remark, details, opinion, memo.
THAI_FREE_TEXT = ("หมายเหตุ", "รายละเอียด", "ความคิดเห็น", "บันทึก")

_QUALIFIERS = frozenset({"no", "nr", "num", "number", "name", "id", "address", "addr", "e", "by", "of", "cell",
                         "line", "national", "card"})
_VOCABULARY = frozenset(SENSITIVE_WORDS | FREE_TEXT_WORDS | _QUALIFIERS
                        | {w for pair in SENSITIVE_PAIRS for w in pair}
                        | {w for alone in SENSITIVE_ALONE for w in alone})
_MAX_WORD = max(len(w) for w in _VOCABULARY)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_WORD = re.compile(r"[a-z]+|[0-9]+")
_THAI_STRIP = re.compile(r"[\s\-_./:()]+")


def _segment(word: str) -> list[str]:
    """Split a glued word into vocabulary words (``phoneno`` → phone, no); unchanged when it does not split."""
    if word in _VOCABULARY or len(word) > 40:
        return [word]
    n = len(word)
    best: list[list[str] | None] = [None] * (n + 1)
    best[0] = []
    for end in range(1, n + 1):
        for start in range(max(0, end - _MAX_WORD), end):
            prev = best[start]
            if prev is not None and word[start:end] in _VOCABULARY:
                cand = [*prev, word[start:end]]
                if best[end] is None or len(cand) < len(best[end]):  # type: ignore[arg-type]
                    best[end] = cand
    return best[n] if best[n] is not None else [word]  # type: ignore[return-value]


def column_words(column: object) -> tuple[str, ...]:
    """The lower-case English words of a column name (``"ContactPhoneNo"`` → contact, phone, no)."""
    text = _CAMEL.sub(" ", str(column).strip()).lower()
    words: list[str] = []
    for w in _WORD.findall(text):
        words.extend(_segment(w) if w.isalpha() else [w])
    return tuple(words)


def _thai(column: object) -> str:
    text = _THAI_STRIP.sub("", str(column))
    for word in THAI_PUBLIC:
        text = text.replace(word, "")
    return text


def is_sensitive(column: object) -> bool:
    """True for a column of contact or personal data, recognised by its name.

    English words (:data:`SENSITIVE_WORDS`, :data:`SENSITIVE_PAIRS`,
    :data:`SENSITIVE_ALONE`) whatever the case, separators and word order,
    a name ending in ``by`` (``updated_by``: who made a change), and Thai
    markers (:data:`THAI_SENSITIVE`).  Place names are not personal.

    Examples
    --------
    >>> [is_sensitive(c) for c in ("mobile_no", "Contact Phone", "ผู้ติดต่อ", "lineId", "first name")]
    [True, True, True, True, True]
    >>> [is_sensitive(c) for c in ("name", "name_th", "road_name", "ชื่อหมู่บ้าน", "district", "timeline")]
    [False, False, False, False, False, False]
    """
    words = column_words(column)
    present = set(words)
    if present & SENSITIVE_WORDS:
        return True
    if any(pair <= present for pair in SENSITIVE_PAIRS):
        return True
    if words in SENSITIVE_ALONE:
        return True
    if len(words) >= 2 and words[-1] == "by":
        return True
    thai = _thai(column)
    return any(marker in thai for marker in THAI_SENSITIVE)


def is_free_text(column: object) -> bool:
    """True for a free-text column (:data:`FREE_TEXT_WORDS`, :data:`THAI_FREE_TEXT`): ``notes``, ``หมายเหตุ``.

    Examples
    --------
    >>> [is_free_text(c) for c in ("notes", "Driver Remarks", "หมายเหตุ", "name")]
    [True, True, True, False]
    """
    if set(column_words(column)) & FREE_TEXT_WORDS:
        return True
    thai = _thai(column)
    return any(marker in thai for marker in THAI_FREE_TEXT)


def is_withheld(column: object) -> bool:
    """True when a public output leaves the column out: it is personal (:func:`is_sensitive`) or free text."""
    return is_sensitive(column) or is_free_text(column)


def withheld_columns(columns: Iterable[object]) -> list[object]:
    """The columns of *columns* that public outputs leave out, in their order."""
    return [c for c in columns if is_withheld(c)]


# ---------------------------------------------------------------------------------------------
# text content
# ---------------------------------------------------------------------------------------------
_SEP = r"[ .\-]"
#: Thai phone numbers: a leading 0 or the +66 / 0066 forms, then 8-9 more digits in groups of 3+ digits.
PHONE_PATTERN = re.compile(
    r"(?<![\d+])(?<!\d\.)"
    rf"(?P<prefix>(?:\+|00)66{_SEP}?(?:\(0\){_SEP}?)?|\(?0{_SEP}?)"
    rf"[2-9](?:\)?{_SEP}?\d){{7,8}}"
    r"(?!\d)"
)
#: E-mail addresses.
EMAIL_PATTERN = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
#: LINE ids after a label: ``line: x``, ``line id x``, ``ไลน์ x``, ``ไอดีไลน์ x`` (the label is kept).
LINE_PATTERN = re.compile(
    r"(?P<label>(?:\bline[ \t]*id\b|\bline(?=[ \t]*[:：=])|ไอดีไลน์|ไลน์(?:[ \t]*(?:ไอดี|id))?)[ \t]*[:：=]?[ \t]*)"
    r"@?[A-Za-z0-9][A-Za-z0-9._\-]+",
    re.IGNORECASE,
)
#: Thai national id numbers: 13 digits, dashes or spaces allowed; kept unless the check digit is right.
NATIONAL_ID_PATTERN = re.compile(r"(?<!\d)\d(?:[ \-]?\d){12}(?!\d)")
#: Every content pattern, in the order applied.
CONTENT_PATTERNS = (
    ("national_id", NATIONAL_ID_PATTERN),
    ("email", EMAIL_PATTERN),
    ("line_id", LINE_PATTERN),
    ("phone", PHONE_PATTERN),
)
# cheap first test: every form above has an "@", a LINE label, or at least 8 digits (one pass, no backtracking
# between digits); most names and labels fail it and skip the four patterns
_EIGHT_DIGITS = re.compile(r"\D*(?:\d\D*){8}")


def _may_hold(text: str) -> bool:
    return "@" in text or "ไลน์" in text or "line" in text.lower() or _EIGHT_DIGITS.match(text) is not None


def _phone(m: re.Match[str]) -> str:
    # "05 10 15 20 25" has the digits of a number but not its grouping: every group after the first has 3+ digits
    groups = re.split(r"[ .\-()]+", m.group(0)[len(m.group("prefix")):])
    return REMOVED if all(len(g) >= 3 for g in groups[1:]) else m.group(0)


def _national_id(m: re.Match[str]) -> str:
    d = [int(c) for c in re.sub(r"\D", "", m.group(0))]
    check = (11 - sum(x * (13 - i) for i, x in enumerate(d[:12])) % 11) % 10
    return REMOVED if d[0] != 0 and check == d[12] else m.group(0)


def _scrub(text: str) -> str:
    text = NATIONAL_ID_PATTERN.sub(_national_id, text)
    text = EMAIL_PATTERN.sub(REMOVED, text)
    text = LINE_PATTERN.sub(lambda m: m.group("label") + REMOVED, text)
    return PHONE_PATTERN.sub(_phone, text)


def scrub_text(text: str) -> str:
    """*text* with Thai phone numbers, e-mail addresses, LINE ids and national ids replaced by :data:`REMOVED`.

    Parameters
    ----------
    text
        Any string; other values are returned unchanged.

    Examples
    --------
    >>> scrub_text("โทร. 073-511-234, +66 81 222 3334, ไลน์ somchai99")
    'โทร. [removed], [removed], ไลน์ [removed]'
    >>> scrub_text("bands 05 10 15 20 30 min, 2024-06-01")
    'bands 05 10 15 20 30 min, 2024-06-01'
    """
    if not isinstance(text, str) or not _may_hold(text):
        return text
    return _scrub(text)


def _scrub_series(s: pd.Series) -> pd.Series:
    """*s* with :func:`scrub_text` applied to its strings (each distinct value scrubbed once)."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype(object)
    elif not (pd.api.types.is_object_dtype(s.dtype) or pd.api.types.is_string_dtype(s.dtype)):
        return s
    values = s.to_numpy(dtype=object)
    try:
        distinct = pd.unique(values)
    except TypeError:  # unhashable cells (lists): scrub one by one
        return s.map(scrub_text)
    changed: dict[str, str] = {}
    for v in distinct:
        if isinstance(v, str) and _may_hold(v):
            new = _scrub(v)
            if new != v:
                changed[v] = new
    if not changed:
        return s
    out = np.array([changed.get(v, v) if isinstance(v, str) else v for v in values], dtype=object)
    return pd.Series(out, index=s.index, name=s.name).astype(s.dtype)


def public_frame(frame: F, *, what: str | None = None) -> F:
    """*frame* as a public output may hold it: personal and free-text columns dropped, other text scrubbed.

    Parameters
    ----------
    frame
        A DataFrame or GeoDataFrame; the geometry column is always kept.
    what
        Name used in the debug log (``"layer shelters"``).

    Returns
    -------
    DataFrame or GeoDataFrame
        A new frame of the same type; *frame* is left unchanged.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"name_en": ["Mosque"], "Contact Phone": ["081 222 3334"], "capacity": [120]})
    >>> list(public_frame(df).columns)
    ['name_en', 'capacity']
    """
    geom = getattr(frame, "active_geometry_name", None)  # GeoDataFrame (geopandas >= 1.0); None for a DataFrame
    drop = [c for c in frame.columns if c != geom and is_withheld(c)]
    out = frame.drop(columns=drop) if drop else frame.copy()
    if drop:
        log.debug("%s: public output, left out %s", what or "table", ", ".join(map(str, drop)))
    for col in out.columns:
        if col == geom:
            continue
        scrubbed = _scrub_series(out[col])
        if scrubbed is not out[col]:
            out[col] = scrubbed
    return out


def public_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """One record (a dict) as a public output may hold it: withheld keys dropped, text values scrubbed.

    Examples
    --------
    >>> public_record({"vehicle_id": "KT-1", "contact": "081-111-1111", "agency": "Tak Bai 073-511-234"})
    {'vehicle_id': 'KT-1', 'agency': 'Tak Bai [removed]'}
    """
    return {k: scrub_text(v) if isinstance(v, str) else v for k, v in record.items() if not is_withheld(k)}
