"""Analysis benchmark: wall time and peak memory of `evaluate` on synthetic estates.

    python benchmarks/analysis.py                 # 1k, 10k and 100k access points
    python benchmarks/analysis.py 1000 10000      # chosen sizes

Each size runs in a fresh process so that peak RSS is its own. Prints one row per size and the
time ratio between consecutive sizes (10x the estate should take about 10x, at most ~12x).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def one(size: int) -> dict:
    import resource

    sys.path.insert(0, str(HERE))
    from synthetic import estate

    from auditor.pipeline import evaluate

    t0 = time.perf_counter()
    snap = estate(size)
    t1 = time.perf_counter()
    run = evaluate(snap)
    t2 = time.perf_counter()
    workloads = len(snap.task_definitions) + len(snap.lambda_functions) + len(snap.clusters[0].workloads or [])
    return {"access_points": size, "workloads": workloads, "roles": len(snap.roles), "results": len(run.results),
            "generate_s": round(t1 - t0, 2), "analyse_s": round(t2 - t1, 2),
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


def main(argv: list[str]) -> int:
    if argv and argv[0] == "--one":
        print(json.dumps(one(int(argv[1]))))
        return 0
    sizes = [int(a) for a in argv] or [1000, 10000, 100000]
    rows = []
    print(f"{'access points':>14} {'workloads':>10} {'roles':>7} {'results':>9} {'analyse s':>10} {'peak MiB':>9} {'x time':>7}")
    for size in sizes:
        out = subprocess.run([sys.executable, __file__, "--one", str(size)], capture_output=True, text=True, check=True)
        row = json.loads(out.stdout.strip().splitlines()[-1])
        ratio = f"{row['analyse_s'] / rows[-1]['analyse_s']:.1f}" if rows and rows[-1]["analyse_s"] else "-"
        rows.append(row)
        print(f"{row['access_points']:>14,} {row['workloads']:>10,} {row['roles']:>7,} {row['results']:>9,} "
              f"{row['analyse_s']:>10.2f} {row['peak_rss_mib']:>9,} {ratio:>7}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
