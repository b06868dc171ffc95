"""tests/plugins holds installable example packages, not tests: pytest does not collect them (their
modules are imported by name once a test puts the package on sys.path, as an installed package would be)."""

collect_ignore = ["corpus-plugin-example"]
