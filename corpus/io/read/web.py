"""Web readers: HTML pages and WARC archives, main text extracted with trafilatura.

``html``: one page per file. The bytes are decoded as UTF-8 when they are valid UTF-8, else in
the charset the page declares (``<meta charset>``, WHATWG aliases), else by the
``encoding_errors`` policy. trafilatura removes the page's own furniture (menus, footers, related
links, comments) and the text it keeps is the document; title, author, date and site name go into
``meta`` and the page's canonical URL into ``url``. A page with no main text is quarantined.

``extract`` options are passed to ``trafilatura.bare_extraction`` over ``EXTRACT_DEFAULTS``. Ours
differ from trafilatura's in one place, scored by scripts/eval/extraction.py on
../shared/eval/extraction: ``include_comments=False`` (reader comments are not the article).

``warc``: Common Crawl style archives (.warc, .warc.gz with one gzip member per record) read with
warcio. Every record is one item. A ``response`` or ``resource`` record with an HTML or plain text
payload is a Document (id = WARC-Record-ID, made unique within the file with ``@<offset>`` when a
crawler repeats it; url = WARC-Target-URI), or a Quarantined at its byte offset when it cannot be
read (no main text, truncated). Records that carry no document by design are ``Skipped`` with a
reason code (see ``skip_reason``): warcinfo, request, revisit, metadata, redirects, HTTP errors,
CSS/JavaScript/images and a crawler's own logs. A record with a broken header is quarantined at
its offset and reading resumes at the next record.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from corpus.document import Document
from corpus.errors import BuildError, ConfigError, InputError
from corpus.io.fs import open_input, shown
from corpus.io.read.base import MAX_RAW_KEEP, Quarantined, ReadOptions, Skipped, read_record
from corpus.io.read.compression import open_binary, sniff, stream_damage
from corpus.io.read.decoding import Decoder
from corpus.io.read.listing import InputFile

EXTRACT_DEFAULTS: dict[str, Any] = {"include_comments": False, "with_metadata": True}
EXTRACT_OPTIONS = {
    "include_comments", "include_tables", "include_images", "include_links", "include_formatting",
    "favor_precision", "favor_recall", "fast", "target_language", "prune_xpath", "with_metadata",
    "only_with_metadata", "date_extraction_params", "max_tree_size",
}  # fmt: skip
META_FIELDS = {"title": "title", "author": "author", "date": "date", "sitename": "site_name"}
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{2,40})""", re.I)
_HTTP_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.I)
WHATWG_ALIASES = {"iso-8859-1": "cp1252", "latin1": "cp1252", "us-ascii": "cp1252", "ascii": "cp1252"}
WHATWG_ALIASES |= {"iso8859-1": "cp1252", "gb2312": "gbk", "x-sjis": "shift_jis"}
CHARSET_SCAN = 1 << 16


def check_extract_options(options: dict[str, Any]) -> None:
    """Unknown trafilatura options are a config error that lists the known ones.

    ``deduplicate`` is left out on purpose: trafilatura keeps its cache in a module global, so a
    page's text would depend on what the worker had read before (dedup is a corpus step here).
    """
    unknown = sorted(set(options) - EXTRACT_OPTIONS)
    if unknown:
        known = ", ".join(sorted(EXTRACT_OPTIONS))
        raise ConfigError(f"input.extract: unknown option {unknown[0]!r}; expected one of: {known}")


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().lower()
    label = WHATWG_ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def decode_html(data: bytes, decoder: Decoder, declared: str | None = None) -> tuple[str, dict[str, Any]]:
    """Page bytes as text: UTF-8 if valid, else the declared charset, else the decoder's policy
    (InputError under strict when neither decodes the bytes).

    >>> decode_html(b'<meta charset="iso-8859-1"><p>Caf\\xe9</p>', Decoder())
    ('<meta charset="iso-8859-1"><p>Café</p>', {'decoded_as': 'cp1252'})
    """
    try:
        return data.decode("utf-8-sig"), {}
    except UnicodeDecodeError:
        pass
    if declared is None:
        found = _META_CHARSET.search(data[:CHARSET_SCAN])
        declared = found.group(1).decode("ascii", "replace") if found else None
    codec = _codec(declared)
    if codec and codec != "utf-8":
        try:
            return data.decode(codec), {"decoded_as": codec}
        except UnicodeDecodeError as exc:
            if decoder.policy == "strict":
                raise InputError(f"invalid UTF-8 at byte {exc.start}") from None
            return data.decode(codec, errors="replace"), {"decoded_as": codec, "invalid_utf8": True}
    return decoder.decode(data)


def extract_main_text(html: str, url: str | None, options: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The page's main text and metadata (trafilatura), or ("", {}) when it finds none."""
    import trafilatura

    opts = {**EXTRACT_DEFAULTS, **options}
    result = trafilatura.bare_extraction(html, url=url, **opts)
    if result is None or not result.text:
        return "", {}
    text = result.text
    if opts.get("include_comments") and result.comments:
        text = f"{text}\n{result.comments}".strip()
    meta = {"url": result.url} if result.url else {}
    for attr, key in META_FIELDS.items():
        value = getattr(result, attr, None)
        if value:
            meta[key] = str(value)
    return unicodedata.normalize("NFC", text), meta


def html_document(
    data: bytes, doc_id: str, opts: ReadOptions, decoder: Decoder, *, url: str | None = None, where: Any
) -> Document:
    """One page as a Document; InputError at ``where`` = (path, line, offset) when it is none."""
    path, line, offset = where
    try:
        html, flags = decode_html(data, decoder)
    except InputError as exc:
        raise InputError(exc.reason, path=path, line=line, raw=repr(data[:200]), offset=offset) from None
    text, meta = extract_main_text(html, url, opts.extract)
    if not text.strip():
        error = "no main text found in the page (trafilatura)"
        raise InputError(error, path=path, line=line, raw=html[:2000], offset=offset)
    page_url = meta.pop("url", "")
    return Document(
        id=doc_id, text=text, source=opts.source or path, url=url or page_url, meta={**meta, **flags}
    )


def read_html(f: InputFile, opts: ReadOptions) -> Iterator[Document | Quarantined]:
    """One document per page file."""
    with open_binary(f.path) as fh:
        head, stream, problem = sniff(fh)
        if problem:
            raise InputError(problem, path=f.name, raw=repr(head[:200]))
        data = stream.read(opts.max_document_bytes + 1)
        damage = stream_damage(fh)
    if damage:  # a page cut short is not kept
        raise InputError(f"file damaged: {damage[0]}", path=f.name, offset=damage[1])
    if len(data) > opts.max_document_bytes:
        raise InputError(f"page larger than max_document_bytes ({opts.max_document_bytes})", path=f.name)
    decoder = Decoder(opts.encoding_errors)
    yield html_document(data, f.id_prefix, opts, decoder, where=(f.name, None, None))


# --- WARC ---------------------------------------------------------------------------------

CONTENT_RECORDS = {"response", "resource"}
HTML_TYPES = ("text/html", "application/xhtml+xml")
TEXT_TYPES = ("text/plain",)
CRAWLER_SCHEMES = {"metadata", "dns"}
CRAWLER_FILES = {"MANIFEST.txt", "wget.log", "wget_arguments.txt", "crawl.log", "heritrix.log"}
_RESYNC_CHUNK = 1 << 20
_GZIP_MEMBER = re.compile(rb"(\x1f\x8b\x08)")
_WARC_HEADER = re.compile(rb"\n(WARC/1\.|[^\r\n]{1,40}\r\nWARC-Type:)")


def read_warc(
    f: InputFile, opts: ReadOptions, *, start: int = 0, stop: int | None = None
) -> Iterator[Document | Quarantined | Skipped]:
    """One item per record of a WARC (see ``skip_reason``); a broken record is quarantined and
    reading resumes at the next one.

    ``start`` and ``stop`` (byte offsets, for ``corpus.io.read.blocks``): read the records that
    start in [start, stop) only, ``start`` being a record start; a ``.warc`` or ``.warc.gz`` only.
    "No WARC records" is then reported by the block at ``start=0`` alone."""
    from warcio.archiveiterator import ArchiveIterator

    suffix = Path(f.path).suffix.lower()
    seekable = suffix not in (".bz2", ".xz", ".zst")  # .gz: warcio reads gzip members itself
    if (start or stop is not None) and not seekable:
        raise ValueError(f"read_warc: start/stop need a .warc or .warc.gz, not {suffix}")
    end = stop if stop is not None else float("inf")
    fh: IO[bytes] = _open_raw(f.path) if seekable else open_binary(f.path)
    decoder = Decoder(opts.encoding_errors)
    seen = 0
    ids: set[str] = set()
    with fh:
        gzipped = seekable and fh.read(2) == b"\x1f\x8b"
        pos: int | None = start
        while pos is not None and pos < end:
            if seekable:
                fh.seek(pos)
            it = ArchiveIterator(fh)
            failed_at: int | None = None
            try:
                for record in it:
                    offset = it.offset
                    if offset >= end:
                        break
                    broken = _header_problem(record)
                    if broken:
                        seen += 1
                        error = InputError(f"broken WARC header: {broken}", path=f.name, offset=offset)
                        yield Quarantined.from_error(error)
                        failed_at = offset
                        break
                    seen += 1
                    reason = skip_reason(record)
                    if reason:
                        yield Skipped(f.name, None, reason, offset=offset)
                        continue
                    yield read_record(_record_item, record, f, opts, decoder, offset, ids)
            except Exception as exc:  # warcio raises several kinds on a bad header
                failed_at = it.offset
                if failed_at >= end:
                    break
                seen += 1
                error = f"broken WARC record: {type(exc).__name__}: {exc}"
                yield Quarantined.from_error(InputError(error, path=f.name, offset=failed_at))
            if failed_at is None:
                break
            if not seekable:
                error = f"cannot skip a broken record in a {suffix} stream; the rest is not read"
                yield Quarantined.from_error(InputError(error, path=f.name))
                break
            pos = _next_record_start(fh, failed_at + 1, gzipped)
        damage = stream_damage(fh)
    if damage:
        raise InputError(f"file damaged after {seen} records: {damage[0]}", path=f.name, offset=damage[1])
    if not seen and not start:
        raise InputError("no WARC records", path=f.name)


def _open_raw(path: str) -> IO[bytes]:
    try:
        return open_input(path)
    except OSError as exc:
        raise BuildError(f"input {shown(path)}: cannot open: {exc.strerror or exc}") from None


def skip_reason(record: Any) -> str | None:
    """Why a record carries no document by design (a Skipped reason code), or None.

    Non-content records are ``warc_<type>`` (request, revisit, metadata, warcinfo...); a
    response that is an HTTP redirect is ``warc_redirect``, another non-2xx one
    ``warc_http_error``; a crawler's own files (wget's ``metadata://`` MANIFEST.txt, wget.log) are
    ``warc_crawler_log``; a payload that is not HTML or plain text (CSS, JavaScript, images,
    fonts, PDF) is ``warc_not_text``.
    """
    kind = (record.rec_type or "").lower()
    if kind not in CONTENT_RECORDS:
        return f"warc_{re.sub(r'[^a-z0-9]+', '_', kind) or 'unknown'}"
    uri = (record.rec_headers.get_header("WARC-Target-URI") or "").strip("<> ")
    scheme = uri.split(":", 1)[0].lower() if ":" in uri else ""
    if scheme in CRAWLER_SCHEMES or uri.rsplit("/", 1)[-1] in CRAWLER_FILES:
        return "warc_crawler_log"
    ctype = record.rec_headers.get_header("Content-Type") or ""
    if kind == "response" and record.http_headers is not None:
        status = str(record.http_headers.get_statuscode() or "")
        if status.startswith("3"):
            return "warc_redirect"
        if not status.startswith("2"):
            return "warc_http_error"
        ctype = record.http_headers.get_header("Content-Type") or ""
    mime = ctype.split(";")[0].strip().lower()
    if mime and mime not in HTML_TYPES and mime not in TEXT_TYPES:
        return "warc_not_text"
    return None


def _header_problem(record: Any) -> str:
    length = record.rec_headers.get_header("Content-Length")
    try:
        if length is None or int(length) < 0:
            raise ValueError
    except ValueError:
        return f"Content-Length {length!r}"
    if not record.rec_type:
        return "no WARC-Type"
    return ""


def _record_item(
    record: Any, f: InputFile, opts: ReadOptions, decoder: Decoder, start: int, ids: set[str]
) -> Any:
    """One response or resource record as a Document; InputError when it cannot be read.

    The id is the WARC-Record-ID; one already used in this file (crawlers do repeat them) or
    none gets ``@<byte offset>`` appended, so ids are unique per record and stable."""
    rec_id = (record.rec_headers.get_header("WARC-Record-ID") or "").strip("<> ")
    url = record.rec_headers.get_header("WARC-Target-URI") or ""
    doc_id = rec_id if rec_id and rec_id not in ids else f"{rec_id or f.id_prefix}@{start}"
    ids.add(doc_id)

    def bad(error: str, raw: str = "") -> InputError:
        return InputError(f"{doc_id}: {error}", path=f.name, raw=raw, offset=start)

    data = record.content_stream().read(opts.max_document_bytes + 1)
    while record.raw_stream.read(1 << 16):
        pass
    missing = getattr(record.raw_stream, "limit", 0)
    if missing:
        raise bad(f"record truncated: {missing} of {record.length} bytes missing")
    if len(data) > opts.max_document_bytes:
        raise bad(f"payload larger than max_document_bytes ({opts.max_document_bytes})")
    if record.http_headers is not None and record.rec_type == "response":
        ctype = record.http_headers.get_header("Content-Type") or ""
    else:
        ctype = record.rec_headers.get_header("Content-Type") or ""
    mime = ctype.split(";")[0].strip().lower()
    looks_html = re.search(rb"<(!doctype html|html|body|p|div)\b", data[:4096], re.I) is not None
    meta = {"warc_date": record.rec_headers.get_header("WARC-Date") or ""}
    if mime in HTML_TYPES or (not mime and looks_html):
        charset = _HTTP_CHARSET.search(ctype)
        declared = charset.group(1) if charset else None
        try:
            html, flags = decode_html(data, decoder, declared if _codec(declared) else None)
        except InputError as exc:
            raise bad(exc.reason, repr(data[:200])) from None
        text, extracted = extract_main_text(html, url or None, opts.extract)
        if not text.strip():
            raise bad("no main text found in the page (trafilatura)", html[:2000])
        extracted.pop("url", None)
        meta |= extracted | flags
    elif mime.startswith("text/") or (not mime and b"\x00" not in data[:4096]):
        try:
            text, flags = decoder.decode(data)
        except InputError as exc:
            raise bad(exc.reason, repr(data[:MAX_RAW_KEEP])) from None
        if not text.strip():
            raise bad("empty payload")
        meta |= flags
    else:
        raise bad(f"payload type {mime or 'unknown'} is neither HTML nor text")
    return Document(id=doc_id, text=text, source=opts.source or f.name, url=url, meta=meta)


def _next_record_start(fh: IO[bytes], pos: int, gzipped: bool) -> int | None:
    """Offset of the next record after ``pos``: a gzip member, or a line that starts a WARC header
    (a ``WARC/1.x`` line, or any short line followed by ``WARC-Type:``, so that a record whose
    version line is broken is found, and reported, too)."""
    marker = _GZIP_MEMBER if gzipped else _WARC_HEADER
    fh.seek(pos)
    base, carry = pos, b""
    while True:
        chunk = fh.read(_RESYNC_CHUNK)
        if not chunk:
            return None
        buf = carry + chunk
        found = marker.search(buf)
        if found:
            return base - len(carry) + found.start(1)
        carry = buf[-64:]
        base += len(chunk)
