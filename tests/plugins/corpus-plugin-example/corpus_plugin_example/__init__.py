"""An example corpus plugin: the ``straighten_quotes`` stage (``corpus_plugin_example.stages``)."""
