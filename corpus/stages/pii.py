"""The ``mask_pii`` stage: replace e-mail addresses, phone numbers, IP addresses, card numbers and
IBANs with typed placeholders (``<EMAIL>``) or consistent pseudonyms (``<EMAIL_3f9a2c1b>``).

A thin wrapper around ``corpus.text.pii`` (the recognition rules are documented there). Counts
go to ``mask_pii.pii.<type>``, one Edit per replacement (rule ``pii.<type>``). Pseudonyms are a
keyed hash of the value (``salt``), so the same value gets the same pseudonym in every document,
worker and run; keep the salt out of published configs.

>>> stage = MaskPII(types=["email", "ip"])
>>> out = stage.apply(Document("1", "Ask root@example.org (host 8.8.8.8, not 10.0.0.1)."))
>>> out.doc.text, out.counts
('Ask <EMAIL> (host <IP_ADDRESS>, not 10.0.0.1).', {'pii.email': 1, 'pii.ip': 1})
>>> MaskPII(types=["email", "ssn"])  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
corpus.errors.ConfigError: mask_pii.types: unknown type 'ssn'; expected some of email, phone, ip, ...
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from corpus.document import Document
from corpus.errors import ConfigError
from corpus.options import Option
from corpus.stages.base import Outcome, Stage
from corpus.text.pii import IP_SCOPES, MODES, TYPES, PIIMasker
from corpus.text.pii_checks import phone_digit_counts


class MaskPII(Stage):
    """Mask personal data: e-mail, phone, IP address, card number, IBAN."""

    name = "mask_pii"
    OPTIONS: ClassVar[dict[str, Option]] = {
        "types": Option(list(TYPES), f"what to mask, some of {', '.join(TYPES)}", kind=list, items=str),
        "mode": Option("placeholder", "placeholder: <EMAIL>; pseudonym: <EMAIL_3f9a2c1b>", choices=MODES),
        "salt": Option("", "pseudonym: the key of the hash (keep it secret)", kind=str),
        "ip_scope": Option(
            "public", "public: only globally routable IPs; all: every valid IP", choices=IP_SCOPES
        ),
        "phone_regions": Option(
            ["US"],
            "regions whose national numbers count (ISO codes); '+' numbers always do",
            kind=list,
            items=str,
        ),
    }

    def configure(self) -> None:
        where = self.name
        if not self.types:
            raise ConfigError(f"{where}.types: empty; name some of {', '.join(TYPES)} or leave the stage out")
        for kind in self.types:
            if kind not in TYPES:
                raise ConfigError(
                    f"{where}.types: unknown type {kind!r}; expected some of {', '.join(TYPES)}"
                )
        if len(set(self.types)) != len(self.types):
            raise ConfigError(f"{where}.types: {self.types!r} names a type twice")
        for region in self.phone_regions:
            try:
                phone_digit_counts(region)
            except ValueError:
                raise ConfigError(
                    f"{where}.phone_regions: unknown region {region!r}; use ISO 3166 codes such as "
                    "'US', 'DE', 'GB' (as the phonenumbers library knows them)"
                ) from None
        self._mask = PIIMasker(
            self.types, mode=self.mode, salt=self.salt, regions=self.phone_regions, ip_scope=self.ip_scope
        )
        self._wants_numbers = bool(set(self.types) - {"email"})

    def apply(self, doc: Document) -> Outcome:
        text = doc.text
        # Gates: an e-mail needs '@'; everything else needs digits (IPv6: digits or ':').
        if "@" not in text and not (self._wants_numbers and _may_hold_numbers(text)):
            return Outcome(doc)
        new_text, edits, counts = self._mask(text)
        if not edits:
            return Outcome(doc)
        return Outcome(dataclasses.replace(doc, text=new_text), edits=edits, counts=counts)


def _may_hold_numbers(text: str) -> bool:
    """Digits somewhere, or a ':' (IPv6 written in letters only, 'fe80::abcd')."""
    return ":" in text or any(d in text for d in "0123456789")
