"""mask_pii: the cases table, each type, pseudonyms, the stage, its options and counts."""

from __future__ import annotations

import json
import pickle

import pytest
from conftest import ROOT

from corpus import stages
from corpus.document import Document
from corpus.errors import ConfigError
from corpus.stages.pii import MaskPII
from corpus.text.pii import PLACEHOLDERS, TYPES, find_pii, mask_pii, pseudonym
from corpus.text.pii_checks import card_brand, iban_ok, is_card_number, luhn_ok

CASES = [
    json.loads(line)
    for line in (ROOT / "tests" / "data" / "pii" / "cases.jsonl").read_text(encoding="utf-8").splitlines()
    if line.strip()
]


@pytest.mark.parametrize("case", CASES, ids=[c["note"][:60] for c in CASES])
def test_cases_table(case: dict) -> None:
    assert mask_pii(case["text"])[0] == case["masked"], case["note"]


def test_cases_table_is_idempotent_and_has_negatives() -> None:
    assert sum(c["text"] == c["masked"] for c in CASES) >= 20
    for case in CASES:
        assert mask_pii(case["masked"])[0] == case["masked"], case["note"]


@pytest.mark.parametrize(
    ("kind", "text", "span"),
    [
        ("email", "mail a.b+tag@mail.example.co.uk now", "a.b+tag@mail.example.co.uk"),
        ("phone", "call (212) 555-0123 now", "(212) 555-0123"),
        ("phone", "Tel. +49 30 901820-0", "+49 30 901820-0"),
        ("ip", "ping 8.8.8.8.", "8.8.8.8"),
        ("ip", "ping 2606:4700:4700::1111 now", "2606:4700:4700::1111"),
        ("credit_card", "pay 6011 1111 1111 1117 now", "6011 1111 1111 1117"),
        ("iban", "IBAN FR14 2004 1010 0505 0001 3M02 606.", "FR14 2004 1010 0505 0001 3M02 606"),
    ],
)
def test_each_type_finds_its_span(kind: str, text: str, span: str) -> None:
    found = find_pii(text)
    assert [(m.type, text[m.start : m.end]) for m in found] == [(kind, span)]


def test_types_option_limits_what_is_found() -> None:
    text = "a@b.org 8.8.8.8 4111111111111111"
    assert [m.type for m in find_pii(text, types=["ip"])] == ["ip"]
    assert [m.type for m in find_pii(text)] == ["email", "ip", "credit_card"]


def test_ip_scope_all_masks_private_addresses() -> None:
    assert mask_pii("gw 192.168.1.1")[0] == "gw 192.168.1.1"
    assert mask_pii("gw 192.168.1.1", ip_scope="all")[0] == "gw <IP_ADDRESS>"


def test_phone_regions() -> None:
    text = "Tel 030 901820"
    assert mask_pii(text)[0] == text
    assert mask_pii(text, regions=["DE"])[0] == "Tel <PHONE>"


def test_checksums() -> None:
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111121")
    assert card_brand("6011111111111117") == "discover"
    assert not is_card_number("1234567812345670")  # Luhn-good, no issuer
    assert iban_ok("NL91ABNA0417164300") and not iban_ok("NL91ABNA0417164301")


def test_edits_and_counts() -> None:
    text = "a@b.org, c@d.org, 8.8.8.8"
    new, edits, counts = mask_pii(text)
    assert new == "<EMAIL>, <EMAIL>, <IP_ADDRESS>"
    assert counts == {"pii.email": 2, "pii.ip": 1}
    assert [(e.rule, e.before, e.after, e.start) for e in edits] == [
        ("pii.email", "a@b.org", "<EMAIL>", 0),
        ("pii.email", "c@d.org", "<EMAIL>", 9),
        ("pii.ip", "8.8.8.8", "<IP_ADDRESS>", 18),
    ]
    for edit in edits:
        assert text[edit.start : edit.start + len(edit.before)] == edit.before


def test_pseudonyms_are_consistent_and_keyed() -> None:
    one = mask_pii("Jo@Example.org wrote", mode="pseudonym", salt="k")[0]
    two = mask_pii("cc jo@example.org", mode="pseudonym", salt="k")[0]
    token = pseudonym("email", "jo@example.org", "k")
    assert one == f"{token} wrote" and two == f"cc {token}"
    assert pseudonym("email", "jo@example.org", "other") != token
    assert pseudonym("phone", "+12125550123", "k") != pseudonym("email", "+12125550123", "k")
    # the same number written two ways is one value (E.164)
    a = mask_pii("call (212) 555-0123", mode="pseudonym", salt="k")[0]
    b = mask_pii("call +1 212-555-0123", mode="pseudonym", salt="k")[0]
    assert a == b and a.startswith("call <PHONE_")


def test_pseudonyms_across_stage_instances_and_pickling() -> None:
    doc = Document("1", "Write to jo@example.org or 8.8.8.8, card 4111 1111 1111 1111.")
    first = MaskPII(mode="pseudonym", salt="s3cret")
    second = stages.build("mask_pii", mode="pseudonym", salt="s3cret")
    copied = pickle.loads(pickle.dumps(first))
    texts = {s.apply(doc).doc.text for s in (first, second, copied)}
    assert len(texts) == 1
    (text,) = texts
    assert "<EMAIL_" in text and "<IP_ADDRESS_" in text and "<CREDIT_CARD_" in text
    assert copied.get_config() == first.get_config()
    assert mask_pii(text, mode="pseudonym", salt="s3cret")[0] == text  # idempotent


def test_stage_via_registry() -> None:
    stage = stages.build("mask_pii", types=["email", "phone"], phone_regions=["US", "GB"])
    out = stage.apply(Document("1", "Mail a@b.org, call 020 7946 0958, host 8.8.8.8"))
    assert out.doc.text == "Mail <EMAIL>, call <PHONE>, host 8.8.8.8"
    assert out.counts == {"pii.email": 1, "pii.phone": 1}
    assert [e.rule for e in out.edits] == ["pii.email", "pii.phone"]


def test_stage_leaves_clean_documents_untouched() -> None:
    stage = MaskPII()
    for text in ("", "no digits here", "version 1.2.3.4, 2020-03-15", "a@b"):
        doc = Document("1", text)
        out = stage.apply(doc)
        assert out.doc is doc and not out.edits and not out.counts


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"types": ["email", "ssn"]}, "mask_pii.types: unknown type 'ssn'; expected some of email, phone"),
        ({"types": []}, "mask_pii.types: empty"),
        ({"types": ["ip", "ip"]}, "names a type twice"),
        ({"types": "email"}, "mask_pii.types: expected a list of strings"),
        ({"mode": "hash"}, "mask_pii.mode: expected one of placeholder, pseudonym; got 'hash'"),
        ({"ip_scope": "private"}, "mask_pii.ip_scope: expected one of public, all"),
        ({"phone_regions": ["XX"]}, "mask_pii.phone_regions: unknown region 'XX'"),
        ({"phone_regions": "US"}, "mask_pii.phone_regions: expected a list of strings"),
        ({"salt": 3}, "mask_pii.salt: expected a string"),
        ({"colour": 1}, "colour"),
    ],
)
def test_bad_options(options: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        stages.build("mask_pii", **options)


def test_placeholders_cover_every_type() -> None:
    assert set(PLACEHOLDERS) == set(TYPES)
    assert MaskPII().get_config()["types"] == list(TYPES)
