# ruff: noqa: E501  (regex tables: one rule per line reads better than split strings)
"""Phrase rules of ``strip_boilerplate``: disclosures, consent and follow/subscribe calls.

Same row format as ``tables.LEADS`` / ``ANYWHERE`` ((class, lang, max_words, pattern), matched
on the normalized line; "{NETWORKS}" is ``tables.FRAGMENTS``). These are phrases that only furniture uses, so they
may sit inside a longer line ("Email the author or follow him on Twitter."), but the word budget
still keeps long prose paragraphs out.
"""

from __future__ import annotations

# Searched anywhere in a line of at most max_words words.
PHRASES: list[tuple[str, str, int, str]] = [
    # follow calls with a network or an addressee ("follow us on Twitter", "keep up with me on X")
    ("follow", "en", 45, r"\b(?:follow|keep up with|connect with|find) (?:us|me) (?:on|at|by|via|@)"),
    ("follow", "en", 45, r"\b(?:follow|keep up with) (?:him|her|them) (?:on (?:{NETWORKS})\b|@)"),
    ("follow", "en", 45, r"^\W*follow (?:\S+ ){1,4}on (?:{NETWORKS})\b"),
    ("follow", "de", 40, r"\b(?:folgen sie uns|folge uns|folgt uns) (?:auf|bei|in)\b"),
    ("follow", "fr", 40, r"\b(?:suivez-nous|retrouvez-nous) (?:sur|on)\b"),
    ("follow", "es", 40, r"\b(?:síguenos|siguenos) en\b"),
    ("follow", "pt", 40, r"\b(?:siga-nos|acompanhe-nos) (?:no|na|nas|nos)\b"),
    ("follow", "it", 40, r"\bseguici su\b"),
    ("follow", "ru", 40, r"\bподписывайтесь на (?:нас|наш)"),
    # share bars glued to a title
    ("share", "en", 30, r"\ball sharing options\b"),
    # subscribe / sign-up calls
    (
        "signup",
        "en",
        30,
        r"\bsubscribe (?:for free|to (?:the |our )?(?:\S+ ){0,3}(?:channel|magazine|podcast|feed))\b",
    ),
    ("signup", "en", 40, r"\b(?:already a (?:subscriber|member)|no credit card (?:required|needed))\b"),
    (
        "signup",
        "en",
        30,
        r"^\W*(?:sign[ -]?up|register|subscribe) (?:now |today |free |for free )?to (?:get|receive|access|read|unlock)\b",
    ),
    (
        "signup",
        "en",
        12,
        r"\b(?:sign ?in|log ?in) (?:/|or|\||&) (?:sign ?up|join|register|create (?:an )?account)\W*$",
    ),
    ("signup", "en", 12, r"\b(?:sign ?in|log ?in) sign ?up\W*$"),
    ("newsletter", "en", 40, r"\bwe (?:will )?send (?:you )?(?:an? )?(?:e-?mail|newsletter)"),
    ("newsletter", "en", 60, r"^\W*i (?:want|would like|wish) to receive\b"),
    # consent and legal notes
    ("terms", "en", 40, r"\bprotected by recaptcha\b"),
    ("terms_agree", "en", 60, r"\buse of this (?:web ?site|site) (?:constitutes|indicates|signifies)"),
    ("copyright", "en", 30, r"^.{0,60}copyright \d{4}\b"),
    # cookie notices inside a longer line, every supported language
    (
        "cookie",
        "en",
        80,
        r"\b(?:we use|we and our partners use|this (?:web ?site|site) uses) (?:\S+ ){0,3}cookies? (?:to|on|for|and similar|so that|in order)\b",
    ),
    (
        "cookie",
        "de",
        80,
        r"\b(?:wir verwenden|wir nutzen|wir setzen|diese (?:web)?seite verwendet) (?:\S+ ){0,3}cookies\b",
    ),
    ("cookie", "fr", 80, r"\b(?:nous utilisons|ce site utilise) (?:\S+ ){0,3}cookies\b"),
    (
        "cookie",
        "es",
        80,
        r"\b(?:utilizamos|usamos|este sitio (?:web )?(?:utiliza|usa)) (?:\S+ ){0,3}cookies\b",
    ),
    ("cookie", "pt", 80, r"\b(?:utilizamos|usamos|este site (?:utiliza|usa)) (?:\S+ ){0,3}cookies\b"),
    ("cookie", "it", 80, r"\b(?:utilizziamo|usiamo|questo sito (?:utilizza|usa)) (?:\S+ ){0,3}cookie\b"),
    ("cookie", "ru", 80, r"\b(?:мы используем|сайт использует) (?:\S+ ){0,3}(?:cookie|куки)"),
    (
        "cookie",
        "pl",
        60,
        r"\b(?:używamy|korzystamy z|ta strona (?:używa|korzysta z)) (?:\S+ ){0,3}(?:cookies|plików cookie|ciasteczek)",
    ),
    # affiliate disclosures ("If you buy something through this post, IGN may get a share of the sale.")
    (
        "ad",
        "en",
        60,
        r"\bmay (?:earn|get|receive) (?:a |an )?(?:small )?(?:share|portion|percentage|cut) of (?:the )?(?:sales?|revenue)\b",
    ),
    ("ad", "de", 60, r"\b(?:affiliate-links?|provisions-links?|werbelinks?)\b.{0,80}\bprovision\b"),
]
