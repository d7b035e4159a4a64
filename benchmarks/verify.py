"""Bundle benchmark: time to write, sign and verify an evidence bundle.

    python benchmarks/verify.py                  # the production sample estate and 10k access points
    python benchmarks/verify.py production 1000  # chosen estates: a sample name or a number of access points

Each bundle holds snapshot.json, run.json, results.csv and findings.ocsf.json and is signed with a
local Ed25519 key. "verify s" is `verify_bundle` (manifest digest, every file's sha256, consistency);
"+ signature s" adds the signature check with the public key (what `efs-audit verify --key` does).
Best of 3 runs each.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def _estate(name: str):
    from auditor.model import snapshot as snap

    if name.isdigit():
        sys.path.insert(0, str(HERE))
        from synthetic import estate

        return f"{int(name):,} access points", estate(int(name))
    return name, snap.load(ROOT / "samples" / "estates" / name / "snapshot.json")


def _best(fn, times=3) -> float:
    best = float("inf")
    for _ in range(times):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def one(name: str) -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    from auditor import catalog
    from auditor.model import snapshot as snap
    from auditor.pipeline import evaluate
    from auditor.report.bundle import read_manifest, verify_bundle, write_bundle
    from auditor.report.signing import FileSigner, check
    from auditor.report.view import ReportOptions

    label, loaded = _estate(name)
    run = evaluate(loaded)
    cat = catalog.load()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        key = ed25519.Ed25519PrivateKey.generate()
        (tmp / "k.pem").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        (tmp / "k.pub").write_bytes(
            key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
        text = snap.dumps(loaded)
        t0 = time.perf_counter()
        out = write_bundle(
            tmp / "ev", run, text, ["json", "csv", "ocsf"], cat, ReportOptions(), FileSigner(tmp / "k.pem")
        )
        write_s = time.perf_counter() - t0
        size = sum(p.stat().st_size for p in out.iterdir())
        assert verify_bundle(out) == []
        verify_s = _best(lambda: verify_bundle(out))
        signed_s = _best(lambda: (verify_bundle(out), check(out, read_manifest(out)[0], str(tmp / "k.pub"))))
        assert check(out, read_manifest(out)[0], str(tmp / "k.pub")).ok
    return (
        f"{label:>22} {len(run.results):>9,} {size / 2**20:>9.1f} {write_s:>13.2f} {verify_s:>9.3f} "
        f"{signed_s:>14.3f}"
    )


def main(argv: list[str]) -> int:
    names = argv or ["production", "10000"]
    print(
        f"{'estate':>22} {'results':>9} {'size MiB':>9} {'write+sign s':>13} {'verify s':>9} {'+ signature s':>14}"
    )
    for name in names:
        print(one(name), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
