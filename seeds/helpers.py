"""Deterministic building blocks of the demo data: dates, names, phone and ID-card numbers.

Every random choice comes from :func:`rng_for`, a ``random.Random`` seeded with 2026 and the key of
the object being built, so an object's content does not depend on which other objects already exist
(a second load that skips existing rows draws exactly the same values for the rest).
"""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

import chinese_calendar
from stdnum.cn import ric

from models.identifiers import IdentifierError, validate_id_number

SEED = 2026
TZ = ZoneInfo("Asia/Shanghai")

#: The demo data describes the world as of this day (a Friday): nothing in it happens later.
AS_OF = dt.date(2026, 11, 27)


def rng_for(*key: object) -> random.Random:
    """A generator seeded with 2026 and ``key`` (string seeds are hashed with SHA-512: stable across runs)."""
    return random.Random(f"{SEED}:" + ":".join(str(k) for k in key))  # noqa: S311 (demo data, not secrets)


def at(day: dt.date, hour: int = 9, minute: int = 30) -> dt.datetime:
    """``day`` at ``hour:minute`` in Asia/Shanghai."""
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


def is_workday(day: dt.date) -> bool:
    """Official working day (with 调休); Monday–Friday for years ``chinese_calendar`` does not cover yet."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def workday_on_or_after(day: dt.date) -> dt.date:
    """``day`` if it is a working day, else the next one."""
    while not is_workday(day):
        day += dt.timedelta(days=1)
    return day


def add_workdays(day: dt.date, count: int) -> dt.date:
    """The ``count``-th working day after ``day``."""
    while count > 0:
        day += dt.timedelta(days=1)
        if is_workday(day):
            count -= 1
    return day


def first_of_next_month(day: dt.date) -> dt.date:
    """The first day of the month after ``day``."""
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def one_year_from(start: dt.date) -> dt.date:
    """The last day of a one-year term starting on ``start`` (start + 1 year − 1 day)."""
    return start.replace(year=start.year + 1) - dt.timedelta(days=1)


def spread_dates(rng: random.Random, start: dt.date, end: dt.date, count: int) -> list[dt.date]:
    """``count`` sorted dates between ``start`` and ``end`` (inclusive)."""
    span = (end - start).days
    return sorted(start + dt.timedelta(days=rng.randint(0, span)) for _ in range(count))


SURNAMES = "王陈张刘周朱徐吴钱顾丁缪孙杨卢储沈黄蒋施李赵高季殷翟封宫"
ELDER_GIVEN = [
    "建国",
    "秀英",
    "桂兰",
    "玉梅",
    "国强",
    "德明",
    "春花",
    "永生",
    "金凤",
    "长林",
    "凤英",
    "荣华",
    "素珍",
    "兰英",
    "正清",
    "桂芳",
    "福生",
    "志明",
    "玉兰",
    "宝根",
    "小妹",
    "如意",
    "银娣",
    "友才",
    "根林",
    "冬梅",
    "海林",
    "家宝",
    "秀珍",
    "广才",
]
YOUNG_GIVEN = [
    "婷",
    "静",
    "磊",
    "涛",
    "思远",
    "雨欣",
    "佳怡",
    "子涵",
    "浩然",
    "晨",
    "敏",
    "倩",
    "丽娟",
    "俊杰",
    "文娟",
    "晓东",
    "立新",
    "海燕",
    "雪芳",
    "志华",
    "鹏",
    "杰",
    "颖",
    "蕾",
    "一鸣",
    "梦瑶",
    "欣怡",
    "宇航",
    "嘉琪",
    "志强",
    "伟",
    "芳",
    "丹丹",
    "晓燕",
    "文静",
    "国栋",
]


def person_name(rng: random.Random, young: bool = True) -> str:
    """A Chinese name, in the style of a staff member (``young``) or an older resident."""
    return rng.choice(SURNAMES) + rng.choice(YOUNG_GIVEN if young else ELDER_GIVEN)


def unique_names(rng: random.Random, count: int, young: bool = True, taken: set[str] | None = None) -> list[str]:
    """``count`` distinct names, avoiding ``taken`` (which is updated)."""
    seen = taken if taken is not None else set()
    names: list[str] = []
    while len(names) < count:
        name = person_name(rng, young)
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


def mobile_phone(rng: random.Random) -> str:
    """An 11-digit mainland mobile number."""
    return rng.choice(["139", "138", "151", "152", "158", "187", "188", "180", "133", "177"]) + "".join(
        str(rng.randint(0, 9)) for _ in range(8)
    )


#: Region codes an ID card of each district may carry, by era. An ID number keeps the code of the
#: place and time of first registration, and ``stdnum.cn.ric`` accepts a code only for birth years in
#: which it existed (海陵区 321202 from 1996, 姜堰区 321204 from 2012 …); the area was part of
#: 扬州 before 1996 (3210xx / 3224xx). 泰州医药高新区 (321271) is a functional zone without a
#: county code of its own: its residents carry 海陵区/高港区 codes.
REGION_CODES: dict[str, tuple[str, ...]] = {
    "321202": ("321202", "321082", "329001", "321020", "322402"),
    "321203": ("321203", "321202", "321082", "329001", "321020", "322402"),
    "321204": ("321204", "321284", "321087", "321028", "322428"),
    "321271": ("321202", "321203", "321082", "329001", "321020", "322402"),
    "321281": ("321281", "321083", "329009", "321021", "322421"),
    "321282": ("321282", "321086", "321024", "322424"),
    "321283": ("321283", "321085", "321025", "322425"),
}


def id_number(district_code: str, birth: dt.date, sequence: int) -> str:
    """A valid 18-character resident ID number (GB 11643) for someone of ``district_code`` born on ``birth``.

    The region code is the district's own when it existed in the birth year, else the predecessor
    code of that era; the check character comes from ``stdnum.cn.ric`` and the result passes
    :func:`models.identifiers.validate_id_number`.
    """
    for region in REGION_CODES[district_code]:
        body = f"{region}{birth:%Y%m%d}{sequence % 1000:03d}"
        number = body + ric.calc_check_digit(body + "0")  # takes the number with a check-digit slot
        try:
            return validate_id_number(number)
        except (IdentifierError, KeyError):
            continue
    raise ValueError(f"no region code of {district_code} is valid for a birth in {birth.year}")
