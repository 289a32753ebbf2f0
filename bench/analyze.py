"""Look inside a run's requests: ``python -m bench.analyze bench/out/work/kommo/full.hits.json 7 1``.

Reads the ``<tag>.hits.json`` a run leaves (seconds since the connector started that each
request reached the sandbox, when its answer was ready, path, status) and prints, for the given
moving window (limit per seconds): the achieved rate, how often the window was full, how close
together the client sent ``limit + 1`` consecutive requests (less than the window means the
client's own limiter was undercut by the time between its acquire and the server's check), and
the gaps where nothing was in flight.
"""

from __future__ import annotations

import json
import sys
from collections import Counter


def main() -> None:
    path, limit, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    latency = float(sys.argv[4]) if len(sys.argv) > 4 else 0.2
    hits = sorted(json.loads(open(path).read()))
    t_in = [h[0] for h in hits]
    statuses = Counter(h[3] for h in hits)
    span = hits[-1][1] - hits[0][0]
    print(f"{len(hits)} requests over {span:.1f} s = {len(hits) / span:.2f} req/s; statuses {dict(statuses)}")
    spacing = [t_in[k + limit] - t_in[k] for k in range(len(t_in) - limit)]
    under = [s for s in spacing if s < seconds]
    print(
        f"{limit + 1} consecutive requests within {seconds:g} s: {len(under)} times "
        f"(min spacing {min(spacing, default=0):.3f} s)"
    )
    for k, h in enumerate(hits):
        if h[3] == 429:
            window = [x for x in hits[:k] if x[3] != 429 and h[0] - seconds < x[0] <= h[0]]
            print(f"  429 at {h[0]:.3f} s {h[2]}: {len(window)} admitted in the {seconds:g} s before it")
    busy, idle = [], 0.0
    end = 0.0
    for h in hits:
        if h[0] > end + 0.05:
            idle += h[0] - end
            busy.append((end, h[0]))
        end = max(end, h[1])
    print(f"time with no request in flight after the first: {idle - hits[0][0]:.1f} s")
    per_path = Counter(h[2].rsplit("/", 1)[-1] for h in hits)
    print("requests by last path segment:", dict(per_path.most_common(12)))
    _ = latency


if __name__ == "__main__":
    main()
