"""Baseline (b): a plain ``requests`` loop that fetches the pages and prints Airbyte RECORD messages.

Run as a child process by the harness: ``python bench/raw_loop.py '<json job>'``. No CDK, no
schema, no transformation: the cost floor of reading the same pages in Python.
"""

from __future__ import annotations

import json
import sys
import time

import requests


def main() -> None:
    job = json.loads(sys.argv[1])
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {job['token']}"
    page, size = job["start_page"], job["page_size"]
    write = sys.stdout.write
    dumps = json.JSONEncoder(separators=(",", ":")).encode
    stream = job["stream"]
    while True:
        params = [*job["params"], (job["page_param"], page), (job["size_param"], size)]
        response = session.get(job["url"], params=params, timeout=120)
        if response.status_code == 204 or not response.content:
            break
        response.raise_for_status()
        body = response.json()
        rows = body
        for key in job["records_at"]:
            rows = rows[key]
        emitted_at = int(time.time() * 1000)
        for row in rows:
            write(
                dumps({"type": "RECORD", "record": {"stream": stream, "data": row, "emitted_at": emitted_at}})
            )
            write("\n")
        more = body.get(job["more_flag"]) if job.get("more_flag") else len(rows) >= size
        if not more or not rows:
            break
        page += 1
    sys.stdout.flush()


if __name__ == "__main__":
    main()
