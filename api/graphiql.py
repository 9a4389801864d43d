"""GraphiQL served from the server itself (issue 17, item 1): no CDN, so the IDE works on an intranet.

The page mirrors strawberry's own ``strawberry/static/graphiql.html`` (React 18.2.0, GraphiQL 3.8.3 and
``@graphiql/plugin-explorer`` 1.0.2 as UMD script tags) with every URL pointing at ``api/static/graphiql/``: the
same minified production files, byte for byte (the ``integrity`` hashes are strawberry's), taken from the npm
registry with their licence files. Each directory carries its version, so the files are cached for a year.

The page's own style and script are inline; the content security policy allows exactly those (by hash) and
scripts, styles and requests from this server only (see :data:`IDE_CSP`, applied by ``api.middleware``).
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

#: Where the assets are served (relative to the app root) and where they live in the package.
STATIC_PATH = "/static/graphiql"
STATIC_DIR = Path(__file__).resolve().parent / "static" / "graphiql"
#: Versioned file names never change: browsers may keep them a year without asking again.
CACHE_CONTROL = b"public, max-age=31536000, immutable"

#: ``(kind, path under STATIC_PATH, subresource integrity)``, in load order.
ASSETS: tuple[tuple[str, str, str], ...] = (
    (
        "script",
        "react-18.2.0/react.production.min.js",
        "sha384-tMH8h3BGESGckSAVGZ82T9n90ztNXxvdwvdM6UoR56cYcf+0iGXBliJ29D+wZ/x8",
    ),
    (
        "script",
        "react-dom-18.2.0/react-dom.production.min.js",
        "sha384-bm7MnzvK++ykSwVJ2tynSE5TRdN+xL418osEVF2DE/L/gfWHj91J2Sphe582B1Bh",
    ),
    (
        "style",
        "graphiql-3.8.3/graphiql.min.css",
        "sha384-Mq3vbRBY71jfjQAt/DcjxUIYY33ksal4cgdRt9U/hNPvHBCaT2JfJ/PTRiPKf0aM",
    ),
    (
        "style",
        "plugin-explorer-1.0.2/style.css",
        "sha384-5DFJlDPW2tSATRbM8kzoP1j194jexLswuNmClWoRr2Q0x7R68JIQzPHZ02Faktwi",
    ),
    (
        "script",
        "graphiql-3.8.3/graphiql.min.js",
        "sha384-HbRVEFG0JGJZeAHCJ9Xm2+tpknBQ7QZmNlO/DgZtkZ0aJSypT96YYGRNod99l9Ie",
    ),
    (
        "script",
        "plugin-explorer-1.0.2/index.umd.js",
        "sha384-2oonKe47vfHIZnmB6ZZ10vl7T0Y+qrHQF2cmNTaFDuPshpKqpUMGMc9jgj9MLDZ9",
    ),
)

STYLE = """
      body { height: 100%; margin: 0; width: 100%; overflow: hidden; }
      #graphiql { height: 100vh; display: flex; }
      .docExplorerHide { display: none; }
      .doc-explorer-contents { overflow-y: hidden !important; }
      .docExplorerWrap { width: unset !important; min-width: unset !important; }
      .graphiql-explorer-actions select { margin-left: 4px; }
"""

SCRIPT = """
      const EXAMPLE_QUERY = `# 救助 jiuzhu — GraphiQL
#
# Sign in with the login mutation, then put the token in the Headers tab:
#   {"Authorization": "Bearer <token>"}
#
# mutation { login(input: {username: "hailing_agency", password: "Demo-hailing_agency-2026"}) { token } }
#
#   Run: Ctrl-Enter    Complete: Ctrl-Space
#
{
  districts(first: 7) { totalCount nodes { code name } }
}
`;
      const parameters = {};
      for (const entry of window.location.search.slice(1).split("&")) {
        const eq = entry.indexOf("=");
        if (eq >= 0) {
          parameters[decodeURIComponent(entry.slice(0, eq))] = decodeURIComponent(entry.slice(eq + 1));
        }
      }
      function updateURL(data) {
        Object.assign(parameters, data);
        const newSearch = "?" + Object.keys(parameters)
          .filter((key) => Boolean(parameters[key]))
          .map((key) => encodeURIComponent(key) + "=" + encodeURIComponent(parameters[key]))
          .join("&");
        history.replaceState(null, null, newSearch);
      }
      const fetcher = GraphiQL.createFetcher({ url: window.location.href.split("?")[0] });
      function GraphiQLWithExplorer() {
        const [query, setQuery] = React.useState(parameters.q || EXAMPLE_QUERY);
        const [variables, setVariables] = React.useState(parameters.variables);
        const [headers, setHeaders] = React.useState(parameters.headers);
        const explorerPlugin = GraphiQLPluginExplorer.explorerPlugin();
        return React.createElement(GraphiQL, {
          fetcher: fetcher,
          defaultEditorToolsVisibility: true,
          plugins: [explorerPlugin],
          query: query,
          variables: variables,
          headers: headers,
          onEditQuery: (q) => { setQuery(q); updateURL({ q: q }); },
          onEditVariables: (v) => { setVariables(v); updateURL({ variables: v }); },
          onEditHeaders: setHeaders,
          inputValueDeprecation: true,
          isHeadersEditorEnabled: true,
          shouldPersistHeaders: true,
        });
      }
      ReactDOM.createRoot(document.getElementById("graphiql")).render(React.createElement(GraphiQLWithExplorer));
"""


def _url(path: str) -> str:
    # Relative to /graphql, so the page also works when the app is served under a path prefix.
    return f"{STATIC_PATH.lstrip('/')}/{path}"


def _tag(kind: str, path: str, integrity: str) -> str:
    if kind == "style":
        return f'    <link rel="stylesheet" href="{_url(path)}" integrity="{integrity}" />'
    return f'    <script src="{_url(path)}" integrity="{integrity}"></script>'


def _hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


_head = "\n".join(_tag(*a) for a in ASSETS if a[0] == "style" or a[1].startswith("react"))
_body = "\n".join(_tag(*a) for a in ASSETS if a[0] == "script" and not a[1].startswith("react"))

PAGE = f"""<!doctype html>
<html lang="zh-CN">
  <head>
    <meta charset="utf-8" />
    <title>救助 jiuzhu · GraphiQL</title>
    <link rel="icon" href="data:," />
    <style>{STYLE}</style>
{_head}
  </head>
  <body>
    <div id="graphiql" class="graphiql-container">Loading…</div>
{_body}
    <script>{SCRIPT}</script>
  </body>
</html>
"""

#: The page's policy: its own inline style and script (by hash), everything else from this server only. GraphiQL
#: sets element styles at run time and embeds its fonts as ``data:`` URLs.
IDE_CSP = (
    b"content-security-policy",
    (
        "default-src 'none'; "
        f"script-src 'self' {_hash(SCRIPT)}; "
        f"style-src 'self' 'unsafe-inline'; "
        "font-src 'self' data:; img-src 'self' data:; connect-src 'self'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ).encode(),
)


class Assets:
    """The assets as static files (Starlette guesses the content type), with a year-long cache header."""

    def __init__(self) -> None:
        self.files = StaticFiles(directory=STATIC_DIR)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_cached(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] in (200, 304):
                message["headers"] = [*message.get("headers", []), (b"cache-control", CACHE_CONTROL)]
            await send(message)

        await self.files(scope, receive, send_cached)
