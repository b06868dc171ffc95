"""The toolkit's version, recorded in every manifest and work folder."""

__version__ = "0.1.0"
