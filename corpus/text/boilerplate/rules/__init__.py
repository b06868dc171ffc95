"""The rule data of ``corpus.text.boilerplate``: literal tables only, no code.

``tables`` (labels, leads, anywhere rows, shared "{NAME}" fragments), ``phrases`` (furniture
phrases inside longer lines) and ``cues`` (the prefilter's stems, related-block headings).
They are Python modules of literals rather than JSON or YAML: regexes stay raw strings (JSON
would double every backslash), rows keep their source comments, ruff checks them, and they
ship with the package without package-data configuration. ``reference`` fills the fragments.
"""
