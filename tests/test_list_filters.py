"""Every filter of every list answers without error (issue 18 item 2: ``contracts(filter: {year: N})`` answered
INTERNAL_ERROR for every year because the resolver overwrote its page size).

The cases are generated from the built schema, so a new filter is covered without writing a test: every
connection at the root of ``Query`` (and under its argument-less namespaces: ``public``, ``finance``,
``dashboard``) and every field there that takes a ``filter``; for each of its arguments other than the page
arguments — each input field of an input-object argument separately — a valid value is picked by type and name
(enum: its first value; ``year``: 2025; Date: 2025-01-01; Boolean: true; ID: a real global ID of the named type,
read first as the same caller; strings: a real value of the demo data). Each is called alone, as the city bureau
(civil affairs, finance, administrator) and a district agency, and must answer without any error; every case
runs for at least one of them (a role that may not read a list at all, or sees nothing of the type an ID names,
skips it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    get_named_type,
)

from models import Beneficiary, Contractor, Township
from schema import schema
from tests.helpers import Api

PAGE_ARGUMENTS = {"first", "after", "last", "before"}
DISTRICT = "321202"  # 海陵区: the demo district with the most rows
ROLES = ["city_civil_affairs", "city_finance", "city_admin", "hailing_agency"]


@dataclass(frozen=True)
class Case:
    """One filter of one list: ``path`` to the field, the argument and (for an input object) its field."""

    path: tuple[str, ...]
    argument: str
    input_field: str | None
    type: GraphQLInputType

    @property
    def name(self) -> str:
        return self.input_field or self.argument

    def __str__(self) -> str:
        inner = f".{self.input_field}" if self.input_field else ""
        return f"{'.'.join(self.path)}({self.argument}{inner})"


def _lists() -> list[tuple[tuple[str, ...], GraphQLField]]:
    """Connections and filtered fields at the root and one level down, under fields without arguments."""
    root = schema._schema.query_type
    assert root is not None
    found: list[tuple[tuple[str, ...], GraphQLField]] = []

    def visit(path: tuple[str, ...], owner: GraphQLObjectType) -> None:
        for name, field in owner.fields.items():
            kind = get_named_type(field.type)
            if kind.name.endswith("Connection") or "filter" in field.args:
                found.append(((*path, name), field))
            elif not path and not field.args and isinstance(kind, GraphQLObjectType):
                visit((name,), kind)

    visit((), root)
    return found


def cases() -> list[Case]:
    out = []
    for path, field in _lists():
        for argument, arg in field.args.items():
            if argument in PAGE_ARGUMENTS:
                continue
            kind = get_named_type(arg.type)
            if isinstance(kind, GraphQLInputObjectType):
                out += [Case(path, argument, name, f.type) for name, f in kind.fields.items()]
            else:
                out.append(Case(path, argument, None, arg.type))
    return out


def _selection(field: GraphQLField) -> str:
    kind = get_named_type(field.type)
    assert isinstance(kind, GraphQLObjectType)
    return "totalCount nodes { __typename }" if "totalCount" in kind.fields else "__typename"


def document(path: tuple[str, ...], field: GraphQLField, argument: str | None = None) -> str:
    """A query of the field at ``path``, with ``argument`` set to the variable ``$v`` when given."""
    arguments = f"({argument}: $v)" if argument else ""
    inner = f"{path[-1]}{arguments} {{ {_selection(field)} }}"
    for outer in reversed(path[:-1]):
        inner = f"{outer} {{ {inner} }}"
    if argument is None:
        return f"{{ {inner} }}"
    declared = str(field.args[argument].type).removesuffix("!")
    return f"query($v: {declared}!) {{ {inner} }}"


def _dig(data: Any, path: tuple[str, ...]) -> Any:
    for name in path:
        data = data[name]
    return data


class Values:
    """Valid values by type and name, read from what the caller sees (IDs) or from the demo data."""

    def __init__(self, api: Api, user: str) -> None:
        self.api = api
        self.user = user
        self.ids: dict[str, str | None] = {}

    async def of(self, case: Case) -> Any:
        wrapped = case.type.of_type if isinstance(case.type, GraphQLNonNull) else case.type
        if isinstance(wrapped, GraphQLList):
            return [await self._one(case, get_named_type(wrapped))]
        return await self._one(case, get_named_type(wrapped))

    async def _one(self, case: Case, kind: Any) -> Any:
        if isinstance(kind, GraphQLEnumType):
            return next(iter(kind.values))
        assert isinstance(kind, GraphQLScalarType), f"{case}: no value for input type {kind}"
        name = case.name
        if kind.name == "Boolean":
            return True
        if kind.name == "Int":
            assert name == "year", f"{case}: pick a valid Int for {name!r} in tests/test_list_filters.py"
            return 2025
        if kind.name == "Date":
            return "2025-01-01"
        if kind.name == "ID":
            return await self.global_id(case)
        assert kind.name == "String", f"{case}: no value for scalar {kind.name}"
        return await self.text(case)

    async def text(self, case: Case) -> str:
        name = case.name
        if name == "district":
            return DISTRICT
        if name == "domain":
            return f"district:{DISTRICT}"
        if name == "township":
            return str((await Township.filter(district_id=DISTRICT).order_by("code").first()).code)  # type: ignore[union-attr]
        if name == "usernameContains":
            return "hailing"
        if name == "nameContains":
            return str((await Contractor.all().order_by("id").first()).name)[:2]  # type: ignore[union-attr]
        if name in ("creditCode", "contractorCreditCode"):
            return str((await Contractor.all().order_by("id").first()).credit_code)  # type: ignore[union-attr]
        if name == "idNumber":
            return str((await Beneficiary.filter(district_id=DISTRICT).order_by("id").first()).id_number)  # type: ignore[union-attr]
        raise AssertionError(f"{case}: pick a real value for the string {name!r} in tests/test_list_filters.py")

    async def global_id(self, case: Case) -> str | None:
        """A global ID of the type the argument names (``project`` → ``ProcurementProject``), from a list of
        that type as the caller sees it."""
        wanted = case.name[0].upper() + case.name[1:]
        if wanted not in self.ids:
            lists = []
            for path, field in _lists():
                kind = get_named_type(field.type)
                if not isinstance(kind, GraphQLObjectType) or "nodes" not in kind.fields:
                    continue
                node = get_named_type(kind.fields["nodes"].type).name
                if node.endswith(wanted) and not any(
                    field.args[a].type.__class__ is GraphQLNonNull for a in field.args
                ):
                    lists.append((node != wanted, len(node), path))
            assert lists, f"{case}: no list of a type named like {wanted}"
            _, _, path = min(lists)
            inner = f"{path[-1]}(first: 1) {{ nodes {{ id }} }}"
            for outer in reversed(path[:-1]):
                inner = f"{outer} {{ {inner} }}"
            body = await self.api.gql(f"{{ {inner} }}", as_user=self.user)
            nodes = [] if body.get("errors") else _dig(body["data"], path)["nodes"]
            self.ids[wanted] = nodes[0]["id"] if nodes else None
        return self.ids[wanted]


ALL = cases()


def test_the_generated_cases_cover_the_known_filters() -> None:
    names = {str(c) for c in ALL}
    # The one that broke, and one of each kind of list: a sanity check of the generator, not the list of cases.
    for expected in (
        "contracts(filter.year)",
        "serviceEntries(filter.dateFrom)",
        "fundEntries(contract)",
        "public.contracts(notice)",
        "finance.payments(filter.contractor)",
        "dashboard.services(filter.district)",
    ):
        assert expected in names, (expected, sorted(names))
    assert len(ALL) > 60


async def test_every_filter_of_every_list_answers_without_error(api: Api) -> None:
    fields = dict(_lists())
    ran: set[str] = set()
    failures = []
    for user in ROLES:
        values = Values(api, user)
        sees_rows: set[tuple[str, ...]] = set()
        refused: set[tuple[str, ...]] = set()
        for path, field in fields.items():
            if any(isinstance(a.type, GraphQLNonNull) for a in field.args.values()):
                continue
            body = await api.gql(document(path, field), as_user=user)
            if body.get("errors"):  # a list this role may not read at all (accounts for the bureau's staff)
                codes = {e.get("extensions", {}).get("code") for e in body["errors"]}
                assert codes <= {"FORBIDDEN"}, (user, path, body["errors"])
                refused.add(path)
                continue
            found = _dig(body["data"], path)
            if found and found.get("totalCount", 1):
                sees_rows.add(path)
        for case in ALL:
            if case.path in refused:
                continue
            value = await values.of(case)
            if value is None:  # the caller sees nothing of the type an ID names (the administrator: projects)
                continue
            literal = {case.input_field: value} if case.input_field else value
            field = fields[case.path]
            body = await api.gql(document(case.path, field, case.argument), {"v": literal}, as_user=user)
            if body.get("errors"):
                failures.append((user, str(case), literal, body["errors"]))
            ran.add(str(case))
        # The caller sees rows in its main lists, so the filters ran against real data.
        main = {"city_finance": ("fundEntries",), "city_admin": ("accounts",)}.get(user, ("serviceEntries",))
        for path in (main, ("contracts",)) if user != "city_admin" else (main,):
            assert path in sees_rows, (user, path)
    assert failures == [], failures
    assert ran == {str(c) for c in ALL}, sorted({str(c) for c in ALL} - ran)
