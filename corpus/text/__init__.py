"""Pure text functions: ``str -> (str, [Edit])``, usable without a Document or a pipeline.

Stages (``corpus.stages``) are thin wrappers around them.
"""
