"""The doctor: a read-only, bounded diagnosis of a connector on a user's own account.

``python -m doctor --source kommo --config secrets/kommo.json`` runs the connector through its
real entry point, observes what the API answered, and writes ``doctor-<source>-<date>.md`` and
``.json``: shapes and counts, never values. See docs/doctor.md.

One module per job: ``probe`` (inside the connector's process: the entry point plus the
observation hooks), ``run`` (check, discover, bounded read, progress), ``shapes`` (JSON types and
string formats), ``schema`` (records against the discovered schema), ``completeness`` (totals the
API reports vs rows and records), ``secrets`` (the scan before writing), ``report`` (findings,
Markdown and JSON).
"""
