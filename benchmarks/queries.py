"""who-can benchmark: load a saved synthetic snapshot and answer `who-can` on one file system.

    python benchmarks/queries.py                 # 1k, 10k and 100k access points
    python benchmarks/queries.py 10000           # chosen sizes

Each size is generated and saved first (not timed), then a fresh process times what `efs-audit who-can`
does (minus argument parsing and printing): loading and indexing the snapshot ("load"), then the query
with the mounts it needs ("who-can"), and prints one row per size with wall and CPU time (run it with
`nice`; the load average is printed).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def one(path: str) -> dict:
    import resource

    from auditor.entrypoints.graph_cmds import _analysis
    from auditor.graph.query import who_can

    c0, t0 = time.process_time(), time.perf_counter()
    a = _analysis(path, None)  # what `efs-audit who-can` does first: load the snapshot and index it
    t1 = time.perf_counter()
    rows = who_can(a, f"{a.snapshot.file_systems[0].file_system_id}:/")
    t2 = time.perf_counter()
    return {
        "load_s": round(t1 - t0, 2),
        "query_s": round(t2 - t1, 2),
        "total_s": round(t2 - t0, 2),
        "cpu_s": round(time.process_time() - c0, 2),
        "rows": len(rows),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main(argv: list[str]) -> int:
    if argv and argv[0] == "--one":
        print(json.dumps(one(argv[1])))
        return 0
    sizes = [int(a) for a in argv] or [1000, 10000, 100000]
    sys.path.insert(0, str(HERE))
    from synthetic import estate

    from auditor.model import snapshot as snap

    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(
        f"{'access points':>14} {'load s':>8} {'who-can s':>10} {'total s':>8} {'cpu s':>6} {'rows':>6} {'peak MiB':>9}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            path = Path(tmp) / f"snapshot-{size}.json"
            snap.save(estate(size), path)
            out = subprocess.run(
                [sys.executable, __file__, "--one", str(path)], capture_output=True, text=True, check=True
            )
            r = json.loads(out.stdout.strip().splitlines()[-1])
            print(
                f"{size:>14,} {r['load_s']:>8.2f} {r['query_s']:>10.2f} {r['total_s']:>8.2f} {r['cpu_s']:>6.2f} {r['rows']:>6,} "
                f"{r['peak_rss_mib']:>9,}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
