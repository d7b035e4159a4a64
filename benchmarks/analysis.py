"""Pipeline benchmark on synthetic estates: each stage of `efs-audit check --format json` and, separately,
the identity graph and the reach queries, with wall time, CPU time and peak memory.

    nice python benchmarks/analysis.py                 # 1k, 10k and 100k access points
    nice python benchmarks/analysis.py 1000 10000      # chosen sizes

Per size the estate (benchmarks/synthetic.py: one workload per two access points, one role per
workload) is generated and saved first (not timed). Then two fresh processes read the saved file:

* check: load (model.snapshot.load), digest (the run's one serialisation, pipeline.serialised),
  analysis (pipeline.evaluate: analysis and checks; "results" is the part spent building result
  records, inside it), json (the `json` format streamed to /dev/null, report.stream), gate (the exit
  code's failing results). Peak MiB is the whole check's peak RSS.
* graph: the networkx identity graph (graph.build: "graph"), the reach computed on it
  (graph.reach.Reach.compute: "engine"), and the queries (graph.query: who-can on the first file system,
  before the mounts exist; reach of one role), after their own load. The pipeline builds the graph and
  its reach once per run (auditor.graph.graph_of); "graph" + "engine" is that cost.

Times are seconds; "cpu" is the process's CPU time, steadier than wall time on a shared machine.
The load average is printed with the figures. ``x`` is the check's CPU ratio to the previous size
(10x the estate should cost at most ~11x).
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
sys.path.insert(0, str(HERE.parent))  # this checkout's auditor package, whatever the environment installs


class Clock:
    def __init__(self) -> None:
        self.out: dict[str, float] = {}

    def __call__(self, name: str, fn, *args, **kw):
        w, c = time.perf_counter(), time.process_time()
        value = fn(*args, **kw)
        self.out[f"{name}_s"] = round(time.perf_counter() - w, 2)
        self.out[f"{name}_cpu"] = round(time.process_time() - c, 2)
        return value


def _peak_mib() -> int:
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def check_stage(path: str) -> dict:
    from auditor import catalog, pipeline
    from auditor.model import snapshot as snap
    from auditor.report.output import failing
    from auditor.report.stream import write_text

    spent = [0.0]
    build = pipeline._result

    def timed_result(*args):  # the share of the analysis spent building result records
        t = time.process_time()
        r = build(*args)
        spent[0] += time.process_time() - t
        return r

    pipeline._result = timed_result
    clock = Clock()
    loaded = clock("load", snap.load, path)
    load_peak = _peak_mib()
    _, digest = clock("digest", pipeline.serialised, loaded, False)
    run = clock("analysis", pipeline.evaluate, loaded, snapshot_digest=digest)
    analysis_peak = _peak_mib()
    with open(os.devnull, "w", encoding="utf-8") as sink:
        clock("json", write_text, run, sink)
    clock("gate", failing, run, catalog.load())
    return {
        **clock.out,
        "results_cpu": round(spent[0], 2),
        "results": len(run.results),
        "load_peak_mib": load_peak,
        "analysis_peak_mib": analysis_peak,
        "peak_mib": _peak_mib(),
    }


def graph_stage(path: str) -> dict:
    from auditor.analysis.access import Analysis
    from auditor.graph.build import build
    from auditor.graph.query import reach, who_can
    from auditor.graph.reach import Reach
    from auditor.model import snapshot as snap

    clock = Clock()
    s = clock("load", snap.load, path)
    fs, role = s.file_systems[0].file_system_id, s.roles[len(s.roles) // 2].arn
    a = Analysis(s)
    rows = clock("who_can", who_can, a, f"{fs}:/")  # before the mounts exist: scoped to the file system
    g = clock("graph", build, a)  # builds every mount (Analysis.mounts) and the graph
    engine = Reach(a, g)
    a.__dict__.update(graph=g, reach=engine)  # as auditor.graph.graph_of keeps them
    g.graph["reach"] = engine
    clock("engine", engine.compute)
    reached = clock("reach", reach, a, role)
    return {
        **clock.out,
        "nodes": g.number_of_nodes(),
        "edges": g.number_of_edges(),
        "who_can_rows": len(rows),
        "reach_rows": len(reached),
        "peak_mib": _peak_mib(),
    }


def _child(stage: str, path: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--stage", stage, path], capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(
            f"{stage} {path}: {out.stderr.strip().splitlines()[-1] if out.stderr else out.returncode}"
        )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str]) -> int:
    if argv and argv[0] == "--stage":
        print(json.dumps((check_stage if argv[1] == "check" else graph_stage)(argv[2])))
        return 0
    sizes = [int(a) for a in argv] or [1000, 10000, 100000]
    sys.path.insert(0, str(HERE))
    from synthetic import estate

    from auditor.model import snapshot as snap

    print(
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; times in s (wall/cpu)", flush=True
    )
    print(
        f"{'APs':>8} {'wkl':>7} {'results':>8} | {'load':>11} {'digest':>9} {'analysis':>11} {'(results)':>9} "
        f"{'json':>9} {'gate':>9} {'check peak MiB':>14} {'x':>5} | {'graph':>9} {'engine':>9} {'who-can':>9} {'reach':>9} "
        f"{'nodes':>8} {'peak':>6}"
    )
    previous = None
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            s = estate(size)
            workloads = len(s.task_definitions) + len(s.lambda_functions) + len(s.clusters[0].workloads or [])
            path = Path(tmp) / f"snapshot-{size}.json"
            snap.save(s, path)
            del s
            c, g = _child("check", str(path)), _child("graph", str(path))
            cpu = sum(c[f"{k}_cpu"] for k in ("load", "digest", "analysis", "json", "gate"))
            ratio = f"{cpu / previous:.1f}" if previous else "-"
            previous = cpu

            def wc(d, k):
                return f"{d[k + '_s']:.1f}/{d[k + '_cpu']:.1f}"

            print(
                f"{size:>8,} {workloads:>7,} {c['results']:>8,} | {wc(c, 'load'):>11} {wc(c, 'digest'):>9} "
                f"{wc(c, 'analysis'):>11} {c['results_cpu']:>9.1f} {wc(c, 'json'):>9} {wc(c, 'gate'):>9} "
                f"{c['peak_mib']:>14,} {ratio:>5} | {wc(g, 'graph'):>9} {wc(g, 'engine'):>9} {wc(g, 'who_can'):>9} "
                f"{wc(g, 'reach'):>9} "
                f"{g['nodes']:>8,} {g['peak_mib']:>6,}",
                flush=True,
            )
            print(
                "   " + json.dumps({"check": c, "graph": g, "load_average": round(os.getloadavg()[0], 1)}),
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
