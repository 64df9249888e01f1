"""Settings of a serving process (gunicorn worker) that are not the application's own.

Python's cyclic garbage collector runs a pass every 700 new container objects, and a full pass
over everything the process holds every hundred or so of those. A POST of 100 statements makes
tens of thousands of short-lived dicts and lists, nearly all freed at once by reference
counting, so most passes found nothing while costing ≈ 14 % of ingest throughput in batches of
100 (bench/README.md). A serving process therefore moves what it loaded at start-up (modules,
the app, SQLAlchemy's metadata) out of the collector's sight and runs the passes less often.
"""

from __future__ import annotations

import gc

#: gc.set_threshold: a young pass per 50,000 new containers (Python's default: 700), an older
#: one per 20 of those, a full one per 100 of the older.
SERVING_GC_THRESHOLD = (50_000, 20, 100)


def tune_garbage_collector() -> None:
    """Call once the app is built, in the process that serves it."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*SERVING_GC_THRESHOLD)
