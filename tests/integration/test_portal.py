"""The portal's pages and assets as any HTTP client sees them: security
headers, caching (ETag, 304, immutable hashed names), gzip and brotli
forms, HEAD, the HTML 404 page, and every page of API.md's list."""

import gzip
import re

PAGES = ["/", "/identifiant-oublie", "/mot-de-passe-oublie", "/reinitialisation", "/activation",
         "/mon-compte", "/mon-compte/confirmer", "/aide", "/admin"]


def assert_security_headers(r):
    csp = r.getheader("Content-Security-Policy")
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert r.getheader("X-Content-Type-Options") == "nosniff"
    assert r.getheader("Referrer-Policy") == "no-referrer"
    assert r.getheader("X-Frame-Options") == "DENY"


def test_every_page_is_french_html_with_security_headers(server):
    for path in PAGES:
        status, r, body = server.request("GET", path)
        assert status == 200, path
        assert r.getheader("Content-Type") == "text/html; charset=utf-8"
        assert r.getheader("Cache-Control") == "no-cache"
        assert_security_headers(r)
        html = body.decode()
        assert '<html lang="fr"' in html
        assert html.count("<h1") == 1, path
        assert re.search(r"<title>[^<]+ — Sésame</title>", html), path
        assert "<script>" not in html and " style=" not in html


def test_etag_gives_304_and_gzip_is_negotiated(server):
    status, r, body = server.request("GET", "/aide")
    etag = r.getheader("ETag")
    assert re.fullmatch(r'"[0-9a-f]+"', etag)
    status, r, again = server.request("GET", "/aide", headers={"If-None-Match": etag})
    assert status == 304 and again == b""
    assert r.getheader("ETag") == etag
    assert_security_headers(r)
    status, r, gz = server.request("GET", "/aide", headers={"Accept-Encoding": "gzip"})
    assert r.getheader("Content-Encoding") == "gzip" and r.getheader("Vary") == "Accept-Encoding"
    assert gzip.decompress(gz) == body
    status, r, br = server.request("GET", "/aide", headers={"Accept-Encoding": "gzip, br"})
    assert r.getheader("Content-Encoding") == "br" and len(br) < len(gz)
    status, r, head = server.request("HEAD", "/aide", headers={"Accept-Encoding": "gzip"})
    assert status == 200 and head == b"" and int(r.getheader("Content-Length")) == len(gz)


def test_hashed_assets_are_immutable(server):
    _, _, body = server.request("GET", "/")
    assets = re.findall(r'(?:href|src)="(/assets/[^"]+)"', body.decode())
    assert any(re.fullmatch(r"/assets/app\.[0-9a-f]{10}\.css", a) for a in assets)
    for a in assets:
        status, r, data = server.request("GET", a)
        assert status == 200 and data, a
        assert r.getheader("Cache-Control") == "public, max-age=31536000, immutable"
        assert_security_headers(r)
        status, _, _ = server.request("GET", a, headers={"If-None-Match": r.getheader("ETag")})
        assert status == 304
    status, r, _ = server.request("GET", "/assets/app.0000000000.css")
    assert status == 404 and r.getheader("Content-Type").startswith("text/html")


def test_unknown_paths_get_the_portal_404_page_and_pages_refuse_post(server):
    status, r, body = server.request("GET", "/nulle/part")
    assert status == 404 and "Page introuvable" in body.decode()
    assert_security_headers(r)
    status, r, body = server.request("POST", "/", body={"x": 1})
    assert status == 405 and "GET" in r.getheader("Allow")
