"""Writes crawl-mixed.warc.gz beside this script (run: python tests/data/hostile/make_crawl_warc.py).

A small WARC shaped like what wget --warc-file writes for a real site: every record type and
payload type a reader must tell apart, plus two responses that share a WARC-Record-ID (a real
archive did). Deterministic: fixed record ids and dates, gzip members with mtime 0.
"""

from __future__ import annotations

import io
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

HERE = Path(__file__).parent
DATE = "2026-01-02T03:04:05Z"
ARTICLE = (
    b"<html><head><title>Harbour news</title></head><body><nav>Home | About</nav><article><h1>Harbour"
    b" reopens</h1><p>The old harbour reopened on Monday after two years of repairs to its walls, and"
    b" the first fishing boats came back before sunrise.</p><p>Local traders said the quay had not"
    b" been this busy since the storm, and the town council promised to keep the market open late"
    b" through the summer.</p></article><footer>Contact</footer></body></html>"
)


def main() -> None:
    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=True)
    n = 0

    def write(uri, kind, payload=b"", http=None, ctype=None, rec_id=None, extra=None):
        nonlocal n
        n += 1
        headers = {
            "WARC-Record-ID": rec_id or f"<urn:uuid:00000000-0000-4000-8000-{n:012d}>",
            "WARC-Date": DATE,
        }
        headers |= extra or {}
        record = writer.create_warc_record(
            uri,
            kind,
            payload=io.BytesIO(payload),
            http_headers=http,
            warc_content_type=ctype,
            warc_headers_dict=headers,
        )
        writer.write_record(record)

    def http(status, ctype, more=()):
        return StatusAndHeaders(status, [("Content-Type", ctype), *more], protocol="HTTP/1.1")

    write(
        None,
        "warcinfo",
        b"software: Wget/1.21.4\r\nformat: WARC File Format 1.0\r\n",
        ctype="application/warc-fields",
    )
    site = "https://harbour.example/"
    write(
        site,
        "request",
        b"GET / HTTP/1.1\r\nHost: harbour.example\r\n\r\n",
        ctype="application/http;msgtype=request",
    )
    write(site, "response", ARTICLE, http("200 OK", "text/html; charset=utf-8"), rec_id="<urn:uuid:dup>")
    write(
        site + "robots.txt",
        "response",
        b"User-agent: *\nAllow: /\n",
        http("200 OK", "text/plain"),
        rec_id="<urn:uuid:dup>",
    )
    write(site + "style.css", "response", b"body { color: #222; }\n", http("200 OK", "text/css"))
    write(site + "app.js", "response", b"console.log('hi');\n", http("200 OK", "application/javascript"))
    write(site + "logo.png", "response", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", http("200 OK", "image/png"))
    write(site + "old", "response", b"", http("301 Moved Permanently", "text/html", [("Location", site)]))
    write(
        site,
        "revisit",
        b"",
        http("200 OK", "text/html"),
        extra={"WARC-Profile": "http://netpreserve.org/warc/1.0/revisit/identical-payload-digest"},
    )
    write(site, "metadata", b"via: https://harbour.example/old\r\n", ctype="application/warc-fields")
    write(
        "metadata://gnu.org/software/wget/warc/wget.log",
        "resource",
        b"--2026-01-02 03:04:05--  https://harbour.example/\nSaving to: 'index.html'\n",
        ctype="text/plain",
    )
    write(
        "metadata://gnu.org/software/wget/warc/MANIFEST.txt",
        "resource",
        b"<urn:uuid:00000000-0000-4000-8000-000000000001>\n",
        ctype="text/plain",
    )
    (HERE / "crawl-mixed.warc.gz").write_bytes(buf.getvalue())


if __name__ == "__main__":
    main()
