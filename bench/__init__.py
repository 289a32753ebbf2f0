"""Benchmark harness: each connector's syncs against the sandbox at the APIs' real rate limits.

``python -m bench`` (``make bench``) writes ``bench/REPORT.md``, ``bench/results.json`` and the
requests-per-second plots. See ``bench/__main__.py`` for the scenarios and flags, and
``bench/profiles.py`` for the per-connector minimum-request formulas.
"""
