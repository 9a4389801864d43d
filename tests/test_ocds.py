"""The OCDS 1.1 export (第十三条): every public demo project's release package and record package, fetched from the
public routes, validate against the official OCDS 1.1.5 schemas (Draft 4, $refs resolved from
seeds/data/ocds-1.1.5, nothing fetched); codes come from the shipped codelists; only published facts appear; a
project the public may not see is a 404 that says nothing; the GraphQL fields carry the same documents."""

from __future__ import annotations

import base64
import csv
import json
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from models.contractors import Contractor
from models.ledgers import Beneficiary
from models.ocds import build_releases, dumps, load_process, record_package
from policies.principal import Assignment, Principal
from policies.scope import public_rows, scoped
from tests.helpers import Api, count_sql

OCDS = Path(__file__).resolve().parent.parent / "seeds" / "data" / "ocds-1.1.5"
CITY = "city_civil_affairs"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$")
DATE_KEYS = {"date", "publishedDate", "startDate", "endDate", "dateSigned", "dateMet", "dateModified"}
METHOD_NAMES = {
    "OPEN_TENDER": ("open", "公开招标"),
    "INVITED_TENDER": ("selective", "邀请招标"),
    "COMPETITIVE_NEGOTIATION": ("limited", "竞争性谈判"),
    "COMPETITIVE_CONSULTATION": ("limited", "竞争性磋商"),
    "SINGLE_SOURCE": ("direct", "单一来源采购"),
    "SELF_ORGANISED": ("limited", "自行采购"),
}

#: The demo data's projects (other tests add projects of later years, some built row by row, during the session).
DEMO_PROJECT = re.compile(r"^CG-\d{6}-202[4-6]-\d{3}$")
CITY_LISTS = {
    "procurementProjects": "code status method",
    "contracts": """code status publishedOn amount project { code }
        acceptances(first: 5) { nodes { id publishedOn } } payments(first: 5) { totalCount }""",
}
NOT_FOUND_MESSAGE = "未找到已公开的采购项目。"
NOTICE_OCDS = """query($code: String) { public { procurementNotice(code: $code) {
  code ocdsReleasePackage ocdsRecordPackage } } }"""


def _validator(name: str) -> Draft4Validator:
    resources = []
    for path in OCDS.glob("*.json"):
        contents = json.loads(path.read_text(encoding="utf-8"))
        resources.append((contents["id"], Resource.from_contents(contents, default_specification=DRAFT4)))
    registry = Registry().with_resources(resources)
    schema = json.loads((OCDS / name).read_text(encoding="utf-8"))
    Draft4Validator.check_schema(schema)
    return Draft4Validator(schema, registry=registry)


def _codelist(name: str, *, deprecated: bool = False) -> set[str]:
    with (OCDS / "codelists" / name).open(encoding="utf-8") as fh:
        return {row["Code"] for row in csv.DictReader(fh) if deprecated or not row.get("Deprecated")}


def _errors(validator: Draft4Validator, document: dict) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message[:200]}" for e in validator.iter_errors(document)]


def _walk(node: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield k, v
            yield from _walk(v, k)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item, key)


@pytest.fixture(scope="module")
def release_validator() -> Draft4Validator:
    return _validator("release-package-schema.json")


@pytest.fixture(scope="module")
def record_validator() -> Draft4Validator:
    return _validator("record-package-schema.json")


async def _all(api: Api, name: str, fields: str) -> list[dict]:
    """Every node of a root list as city civil affairs sees it, page by page."""
    query = f"query($after: String) {{ {name}(first: 100, after: $after) {{ pageInfo {{ hasNextPage endCursor }} "
    query += f"nodes {{ {fields} }} }} }}"
    nodes: list[dict] = []
    after = None
    while True:
        page = (await api.data(query, {"after": after}, as_user=CITY))[name]
        nodes += page["nodes"]
        if not page["pageInfo"]["hasNextPage"]:
            return nodes
        after = page["pageInfo"]["endCursor"]


@pytest.fixture(scope="module")
async def city(api: Api) -> dict[str, list[dict]]:
    """The demo projects and contracts as city civil affairs sees them."""
    lists = {name: await _all(api, name, fields) for name, fields in CITY_LISTS.items()}
    return {
        "projects": [p for p in lists["procurementProjects"] if DEMO_PROJECT.match(p["code"])],
        "contracts": [c for c in lists["contracts"] if DEMO_PROJECT.match(c["project"]["code"])],
    }


@pytest.fixture(scope="module")
async def exports(api: Api, city: dict) -> dict[str, dict[str, Any]]:
    """Both packages of every project the public sees, as text and parsed with exact decimals."""
    out: dict[str, dict[str, Any]] = {}
    for project in city["projects"]:
        if project["status"] == "PREPARING":
            continue
        code = project["code"]
        entry: dict[str, Any] = {"project": project}
        for kind in ("releases", "records"):
            response = await api.client.get(f"/ocds/{kind}/{code}.json")
            assert response.status_code == 200, (code, response.text[:300])
            assert response.headers["content-type"].startswith("application/json")
            assert response.headers["access-control-allow-origin"] == "*"
            entry[f"{kind}_text"] = response.text
            entry[kind] = json.loads(response.text, parse_float=Decimal)
        out[code] = entry
    return out


def _contracts_of(city: dict, code: str) -> list[dict]:
    return [c for c in city["contracts"] if c["project"]["code"] == code]


async def test_every_package_validates(exports: dict, release_validator: Any, record_validator: Any) -> None:
    assert len(exports) >= 20
    for code, entry in exports.items():
        assert _errors(release_validator, entry["releases"]) == [], code
        assert _errors(record_validator, entry["records"]) == [], code
        assert _errors(record_validator, json.loads(entry["records_text"])) == [], code


async def test_the_demo_covers_every_kind_of_process(exports: dict, city: dict) -> None:
    statuses = {e["project"]["status"] for e in exports.values()}
    assert statuses == {"PUBLISHED", "AWARDED", "FAILED"}
    published = {c["status"] for c in city["contracts"] if c["publishedOn"]}
    assert {"CLOSED", "TERMINATED", "ACCEPTED", "ACCEPTANCE_FAILED", "IN_PERFORMANCE", "FILED"} <= published
    assert any(c["status"] == "CLOSED" and c["payments"]["totalCount"] for c in city["contracts"])


async def test_codes_come_from_the_codelists(exports: dict) -> None:
    tags, methods = _codelist("releaseTag.csv"), _codelist("method.csv")
    roles, contract_states = _codelist("partyRole.csv"), _codelist("contractStatus.csv")
    tender_states, award_states = _codelist("tenderStatus.csv"), _codelist("awardStatus.csv")
    criteria, currencies = _codelist("awardCriteria.csv"), _codelist("currency.csv")
    milestone_types, milestone_states = _codelist("milestoneType.csv"), _codelist("milestoneStatus.csv")
    seen_tags: set[str] = set()
    seen_roles: set[str] = set()
    for code, entry in exports.items():
        record = entry["records"]["records"][0]
        for release in [*record["releases"], record["compiledRelease"]]:
            assert set(release["tag"]) <= tags, code
            seen_tags |= set(release["tag"])
            for party in release["parties"]:
                assert set(party["roles"]) <= roles, code
                seen_roles |= set(party["roles"])
            tender = release.get("tender", {})
            assert tender.get("procurementMethod", "open") in methods
            assert tender.get("status", "active") in tender_states
            assert tender.get("awardCriteria", "priceOnly") in criteria
            assert tender.get("mainProcurementCategory", "services") == "services"
            assert {a.get("status", "active") for a in release.get("awards", [])} <= award_states
            assert {c.get("status", "active") for c in release.get("contracts", [])} <= contract_states
            for key, value in _walk(release):
                if key == "currency":
                    assert value == "CNY"
                    assert value in currencies
                if key == "milestones":
                    assert {m["type"] for m in value} <= milestone_types
                    assert {m["status"] for m in value} <= milestone_states
    assert {
        "planning",
        "tender",
        "award",
        "contract",
        "implementation",
        "contractTermination",
        "tenderUpdate",
        "compiled",
    } <= seen_tags
    assert {"buyer", "procuringEntity", "tenderer", "supplier"} <= seen_roles


async def test_method_and_parties(exports: dict) -> None:
    for code, entry in exports.items():
        compiled = entry["records"]["records"][0]["compiledRelease"]
        method, name = METHOD_NAMES[entry["project"]["method"]]
        assert compiled["tender"]["procurementMethod"] == method, code
        assert compiled["tender"]["procurementMethodDetails"] == name, code
        parties = {p["id"]: p for p in compiled["parties"]}
        buyer = parties[compiled["buyer"]["id"]]
        assert buyer["roles"] == ["buyer"]
        assert buyer["name"].endswith(("人民政府", "管委会"))
        agency = parties[compiled["tender"]["procuringEntity"]["id"]]
        assert agency["roles"] == ["procuringEntity"]
        assert agency["name"].endswith("民政局")
        for award in compiled.get("awards", []):
            for supplier in award.get("suppliers", []):
                party = parties[supplier["id"]]
                assert {"supplier", "tenderer"} <= set(party["roles"])
                assert party["identifier"]["scheme"] == "CN-USCC"
                assert re.fullmatch(r"[0-9A-Z]{18}", party["identifier"]["id"])


async def test_ids_dates_and_amounts(exports: dict, city: dict) -> None:
    release_ids: set[str] = set()
    for code, entry in exports.items():
        package = entry["releases"]
        releases = package["releases"]
        assert {r["ocid"] for r in releases} == {f"ocds-jiuzhu-{code}"}
        ids = [r["id"] for r in releases]
        assert len(ids) == len(set(ids)), code
        assert not release_ids & set(ids)
        release_ids |= set(ids)
        assert [r["date"] for r in releases] == sorted(r["date"] for r in releases), "oldest first"
        assert package["publishedDate"] == releases[-1]["date"]
        assert entry["records"]["records"][0]["releases"] == releases
        assert entry["records"]["packages"] == [package["uri"]]
        for key, value in _walk(package):
            if key in DATE_KEYS and value is not None:
                assert RFC3339.match(value), (code, key, value)
            if key == "amount" and not isinstance(value, dict):
                assert isinstance(value, Decimal), (code, value)
                assert value == value.quantize(Decimal("0.01"))
        compiled = entry["records"]["records"][0]["compiledRelease"]
        amounts = {c["id"]: c["value"]["amount"] for c in compiled.get("contracts", [])}
        for contract in _contracts_of(city, code):
            if contract["publishedOn"] is not None:
                assert amounts[contract["code"]] == Decimal(contract["amount"]), "exact, as stored"
        assert re.search(r'"amount":\d+\.\d\d[,}]', entry["releases_text"]), "amounts are JSON numbers, 2 places"


async def test_packages_are_stable(api: Api, exports: dict) -> None:
    for code in list(exports)[:5]:
        again = await api.client.get(f"/ocds/records/{code}.json")
        assert again.text == exports[code]["records_text"]


async def test_compiled_release_follows_the_lifecycle(exports: dict, city: dict) -> None:
    for code, entry in exports.items():
        compiled = entry["records"]["records"][0]["compiledRelease"]
        status = entry["project"]["status"]
        expected = {"PUBLISHED": "active", "AWARDED": "complete", "FAILED": "unsuccessful"}[status]
        assert compiled["tender"]["status"] == expected, code
        if status == "FAILED":
            assert any(a["status"] == "unsuccessful" and "流标" in a["description"] for a in compiled["awards"])
        contracts = _contracts_of(city, code)
        published = {c["code"]: c for c in contracts if c["publishedOn"] is not None}
        shown = {c["id"]: c for c in compiled.get("contracts", [])}
        assert set(shown) == set(published), code
        award_ids = {a["id"] for a in compiled.get("awards", [])}
        for contract_code, contract in published.items():
            ocds = shown[contract_code]
            assert ocds["awardID"] in award_ids
            ending = {"CLOSED": "terminated", "TERMINATED": "terminated"}.get(contract["status"], "active")
            assert ocds["status"] == ending, contract_code
            milestones = {m["id"] for m in ocds.get("implementation", {}).get("milestones", [])}
            acceptances = contract["acceptances"]["nodes"]
            assert milestones == {f"acceptance-{_pk(a['id'])}" for a in acceptances if a["publishedOn"]}
        for contract in contracts:
            if contract["publishedOn"] is None:
                assert contract["code"] not in entry["records_text"], "unpublished contracts never appear"


def _pk(global_id: str) -> str:
    return base64.urlsafe_b64decode(global_id + "=" * (-len(global_id) % 4)).decode().partition(":")[2]


async def test_payments_are_not_public(exports: dict) -> None:
    """The public policy gives no payment rows (policies/policy.csv), so public exports carry no transactions."""
    for entry in exports.values():
        assert "transactions" not in entry["records_text"]
        assert '"payer"' not in entry["records_text"]


async def test_no_personal_data(exports: dict) -> None:
    people = await Beneficiary.all().values_list("id_number", "phone")
    credit_codes = set(await Contractor.all().values_list("credit_code", flat=True))
    assert people
    text = "\n".join(e["records_text"] + e["releases_text"] for e in exports.values())
    for id_number, phone in people:
        assert id_number not in text
        if phone:
            assert phone not in text
    resident_ids = set(re.findall(r"(?<![0-9A-Z])\d{17}[\dX](?![0-9A-Z])", text)) - credit_codes
    assert resident_ids == set()
    assert not re.search(r"\d{4}\*{10}\d{3}[\dX]", text)
    for word in ("beneficiar", "ledger", "panel", "findings", "paymentMethod", "instalment"):
        assert word not in text


async def test_a_project_the_public_may_not_see_is_a_silent_404(api: Api, city: dict) -> None:
    preparing = next(p["code"] for p in city["projects"] if p["status"] == "PREPARING")
    missing = await api.client.get("/ocds/releases/NO-SUCH-PROJECT.json")
    assert missing.status_code == 404
    for kind in ("releases", "records"):
        hidden = await api.client.get(f"/ocds/{kind}/{preparing}.json")
        assert hidden.status_code == 404
        assert hidden.headers["content-type"].startswith("application/json")
        assert (
            hidden.json() == missing.json() == {"error": {"code": "NOT_FOUND", "message": "未找到已公开的采购项目。"}}
        )
        assert preparing not in hidden.text
    token = await api.token(CITY)
    signed_in = await api.client.get(f"/ocds/records/{preparing}.json", headers={"Authorization": f"Bearer {token}"})
    assert signed_in.status_code == 404, "the export is the public view, whoever asks"
    assert (await api.client.get("/ocds/records/" + "x" * 300 + ".json")).status_code == 404


async def test_graphql_fields_carry_the_same_documents(api: Api, exports: dict, city: dict) -> None:
    for code in list(exports)[:4]:
        notice = (await api.data(NOTICE_OCDS, {"code": code}))["public"]["procurementNotice"]
        http = json.loads(exports[code]["releases_text"])
        graphql = notice["ocdsReleasePackage"]
        assert graphql["uri"].endswith(f"/ocds/releases/{code}.json")
        assert graphql == http
        assert notice["ocdsRecordPackage"]["records"] == json.loads(exports[code]["records_text"])["records"]
    preparing = next(p["code"] for p in city["projects"] if p["status"] == "PREPARING")
    assert (await api.data(NOTICE_OCDS, {"code": preparing}, as_user=CITY))["public"]["procurementNotice"] is None
    many = await api.data("{ public { procurementNotices(first: 30) { nodes { code ocdsRecordPackage } } } }")
    demo = [n for n in many["public"]["procurementNotices"]["nodes"] if DEMO_PROJECT.match(n["code"])]
    assert len(demo) >= 20
    for node in demo:
        assert node["ocdsRecordPackage"]["records"][0]["ocid"] == f"ocds-jiuzhu-{node['code']}"


async def test_loading_a_process_takes_a_constant_number_of_queries(exports: dict) -> None:
    counts = {}
    for code, entry in exports.items():
        with count_sql() as statements:
            process = await load_process(code, public_rows)
        assert process is not None
        counts[code] = (len([s for s in statements if "SELECT" in s.upper()]), len(entry["releases"]["releases"]))
    assert 5 <= min(n for n, _ in counts.values()) <= max(n for n, _ in counts.values()) <= 10, counts
    assert len({r for _, r in counts.values()}) > 3, "projects of very different sizes"


async def test_transactions_where_the_reader_may_read_payments(
    api: Api, exports: dict, city: dict, record_validator: Any
) -> None:
    """What a reader that may read payments (city civil affairs) gets: implementation transactions, validated."""
    principal = Principal(user_id=-1, username=CITY, display_name=CITY, assignments=(Assignment(CITY, "district:*"),))
    code = next(
        c["project"]["code"]
        for c in city["contracts"]
        if c["status"] == "CLOSED" and c["payments"]["totalCount"] and c["publishedOn"]
    )
    process = await load_process(code, lambda model: scoped(principal, model))
    assert process is not None
    releases = build_releases(process)
    uris = {"uri": "https://example.org/records.json", "release_package_uri": "https://example.org/releases.json"}
    package = json.loads(dumps(record_package(releases, **uris)), parse_float=Decimal)
    assert _errors(record_validator, package) == []
    compiled = package["records"][0]["compiledRelease"]
    parties = {p["id"]: p for p in compiled["parties"]}
    assert "payer" in parties[compiled["buyer"]["id"]]["roles"]
    closed = [c for c in _contracts_of(city, code) if c["status"] == "CLOSED"]
    for contract in closed:
        ocds = next(c for c in compiled["contracts"] if c["id"] == contract["code"])
        transactions = ocds["implementation"]["transactions"]
        assert len(transactions) == contract["payments"]["totalCount"]
        paid = sum(t["value"]["amount"] for t in transactions)
        assert paid >= Decimal(contract["amount"]), "a closed contract is fully paid"
        for transaction in transactions:
            assert transaction["payer"]["id"] == compiled["buyer"]["id"]
            assert "payee" in parties[transaction["payee"]["id"]]["roles"]
    tags = {t for r in package["records"][0]["releases"] for t in r["tag"]}
    assert "implementation" in tags
