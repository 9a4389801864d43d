"""GraphiQL works with no internet (issue 17, item 1): the page loads every asset from this server."""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from api.graphiql import STATIC_DIR
from tests.helpers import Api

PAGE_URL = "http://test/graphql"
EXPECTED_TYPES = {".js": "text/javascript", ".css": "text/css"}


class References(HTMLParser):
    """Every URL an HTML page makes the browser fetch (src, href), with the tag's integrity attribute."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str, str | None]] = []
        self.inline_scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in ("src", "href"):
            if values.get(name):
                self.urls.append((tag, values[name] or "", values.get("integrity")))
        self._in_script = tag == "script" and not values.get("src")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.inline_scripts.append(data)


async def page(api: Api) -> tuple[str, References]:
    response = await api.client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    refs = References()
    refs.feed(response.text)
    return response.text, refs


async def test_page_references_no_external_host(api: Api) -> None:
    text, refs = await page(api)
    assert "GraphiQL" in text
    assert len([u for t, u, _ in refs.urls if t in ("script", "link") and not u.startswith("data:")]) >= 6
    for _, url, _ in refs.urls:
        if url.startswith("data:"):
            continue
        resolved = urlsplit(urljoin(PAGE_URL, url))
        assert (resolved.scheme, resolved.netloc) == ("http", "test"), url
    # Nor does the inline script import or fetch anything from elsewhere (ES module imports, fetch, CDN names).
    for script in refs.inline_scripts:
        assert not re.search(r"""\bimport\s*[("'{*]|https?://|//[a-z0-9.-]+\.[a-z]{2,}/""", script), script
    for cdn in ("unpkg.com", "jsdelivr", "cdnjs", "esm.sh", "googleapis"):
        assert cdn not in text


async def test_every_asset_answers_with_its_type_and_integrity(api: Api) -> None:
    _, refs = await page(api)
    local = [(u, integrity) for t, u, integrity in refs.urls if not u.startswith("data:")]
    for url, integrity in local:
        response = await api.client.get(urljoin(PAGE_URL, url))
        assert response.status_code == 200, url
        suffix = Path(urlsplit(url).path).suffix
        assert response.headers["content-type"].split(";")[0] == EXPECTED_TYPES[suffix], url
        assert "max-age=31536000" in response.headers["cache-control"]
        # The bytes are the pinned build the integrity attribute names (the browser refuses anything else).
        assert integrity is not None
        algorithm, _, expected = integrity.partition("-")
        assert base64.b64encode(hashlib.new(algorithm, response.content).digest()).decode() == expected, url


async def test_csp_allows_the_page_and_nothing_foreign(api: Api) -> None:
    response = await api.client.get("/graphql", headers={"Accept": "text/html"})
    csp = dict(
        part.strip().split(" ", 1) for part in response.headers["content-security-policy"].split(";") if part.strip()
    )
    assert csp["default-src"] == "'none'"
    for directive in ("script-src", "style-src", "connect-src"):
        sources = csp[directive].split()
        assert "'self'" in sources
        assert not [s for s in sources if s.startswith(("http", "*")) or (s.endswith(":") and s != "data:")]
    assert "'unsafe-eval'" not in csp["script-src"]
    assert "'unsafe-inline'" not in csp["script-src"]
    refs = References()
    refs.feed(response.text)
    for script in refs.inline_scripts:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp["script-src"]


async def test_licences_ship_with_the_assets(api: Api) -> None:
    for directory in sorted(p for p in STATIC_DIR.iterdir() if p.is_dir()):
        assert (directory / "LICENSE").is_file(), directory.name
        assert "MIT License" in (directory / "LICENSE").read_text()
    total = sum(p.stat().st_size for p in STATIC_DIR.rglob("*") if p.is_file())
    assert total < 5 * 1024 * 1024
    response = await api.client.get("/static/graphiql/graphiql-3.8.3/LICENSE")
    assert response.status_code == 200
    missing = await api.client.get("/static/graphiql/graphiql-3.8.3/../../../app.py")
    assert missing.status_code == 404
