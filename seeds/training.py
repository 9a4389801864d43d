"""Demo training (Art. 19): city sessions for every district and each district's own, in all five forms."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from models.enums import OrganiserLevel, TrainingForm
from models.staffing import StaffMember
from models.training import TrainingAttendance, TrainingSession
from seeds.helpers import rng_for
from seeds.upsert import ensure

F = TrainingForm

CITY_SESSIONS = (
    (dt.date(2025, 5, 20), F.POLICY_BRIEFING, "《社会救助暂行办法》及泰政办发〔2019〕53号政策解读", "3.0"),
    (dt.date(2025, 9, 16), F.EXPERT_LECTURE, "社会救助对象心理疏导与危机干预专题讲座", "3.5"),
    (dt.date(2026, 4, 21), F.CASE_STUDY, "低保家庭经济状况核对典型案例分析", "3.0"),
    (dt.date(2026, 6, 18), F.EXPERIENCE_SHARING, "政府购买社会救助服务经验交流会", "2.5"),
    (dt.date(2026, 9, 24), F.INTERACTIVE, "社会救助“一门受理、协同办理”情景模拟", "4.0"),
)
DISTRICT_TOPICS = {
    F.POLICY_BRIEFING: "最低生活保障审核确认办法政策解读",
    F.EXPERT_LECTURE: "特困人员生活自理能力评估实务",
    F.EXPERIENCE_SHARING: "镇（街道）社会救助经办经验介绍",
    F.CASE_STUDY: "临时救助“先行救助”案例分析",
    F.INTERACTIVE: "服务台账规范填报互动练习",
}
DISTRICT_ORDER = ("321202", "321203", "321204", "321271", "321281", "321282", "321283")
CITY_ATTENDEES_PER_DISTRICT = 2


def _on_staff(member: StaffMember, day: dt.date) -> bool:
    return member.start_date <= day and (member.end_date is None or member.end_date >= day)


async def load_training() -> None:
    """Create the missing sessions; attendance only for newly created ones."""
    staff = await StaffMember.all().order_by("id")
    by_district: dict[str, list[StaffMember]] = {}
    for member in staff:
        by_district.setdefault(member.district_id, []).append(member)
    attendance: list[TrainingAttendance] = []
    for held_on, form, topic, hours in CITY_SESSIONS:
        session, created = await ensure(
            TrainingSession,
            {"level": OrganiserLevel.CITY, "district_id": None, "held_on": held_on, "topic": topic},
            {"form": form, "hours": Decimal(hours)},
        )
        if created:
            rng = rng_for("training", topic)
            for code in DISTRICT_ORDER:
                present = [m for m in by_district.get(code, []) if _on_staff(m, held_on)]
                attendance += _attend(session, rng.sample(present, min(CITY_ATTENDEES_PER_DISTRICT, len(present))))
    forms = list(F)
    for i, code in enumerate(DISTRICT_ORDER):
        for j, held_on in enumerate((dt.date(2025, 7, 8), dt.date(2026, 7, 14))):
            form = forms[(i + 2 * j) % len(forms)]
            day = held_on + dt.timedelta(days=i)
            topic = f"{DISTRICT_TOPICS[form]}（{day.year}年）"
            session, created = await ensure(
                TrainingSession,
                {"level": OrganiserLevel.DISTRICT, "district_id": code, "held_on": day, "topic": topic},
                {"form": form, "hours": Decimal("2.0") if j else Decimal("3.0")},
            )
            if created:
                rng = rng_for("training", code, topic)
                present = [m for m in by_district.get(code, []) if _on_staff(m, day)]
                attendance += _attend(session, rng.sample(present, min(len(present), rng.randint(6, 10))))
    await TrainingAttendance.bulk_create(attendance)


def _attend(session: TrainingSession, members: list[StaffMember]) -> list[TrainingAttendance]:
    return [
        TrainingAttendance(session=session, staff=m, district_id=m.district_id, attendee_name=m.name) for m in members
    ]
