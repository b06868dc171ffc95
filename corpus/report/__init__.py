"""What a build did, for a person: the build profile (report.json) and the self-contained HTML report.

``corpus.report.html.render_html`` renders report.html from a build's manifest, its report.json and
its dropped.jsonl; ``corpus.report.html.write_report`` does it for a finished build directory.
Nothing heavy is imported here: matplotlib loads only when a page is rendered.
"""
