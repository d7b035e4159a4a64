"""emit(): everything a front door does after the pipeline: load waivers and the baseline, render
the requested formats, write an evidence bundle, and return what goes to stdout."""

from __future__ import annotations

import sys
from pathlib import Path

from auditor.gate import unwaived_failures
from auditor.model.snapshot import InputError
from auditor.report import FORMATS, HUMAN, render
from auditor.report import baseline as baseline_mod
from auditor.report import framework as fw_view
from auditor.report import waivers as waivers_mod
from auditor.report.view import ReportOptions, build


def parse_formats(text: str | list[str] | None) -> list[str]:
    """ "table,json" or ["table", "json"] -> validated, de-duplicated list (default: table)."""
    items = text if isinstance(text, list) else ("table" if text is None else text).split(",")
    out: list[str] = []
    for item in (i.strip() for part in items for i in part.split(",")):
        if not item:
            raise InputError(
                f"--format: empty format name in {','.join(items)!r} (known: {', '.join(FORMATS)})"
            )
        if item not in FORMATS:
            raise InputError(f"--format: unknown format {item!r} (known: {', '.join(FORMATS)})")
        if item not in out:
            out.append(item)
    return out or ["table"]


def options_from(
    catalogue,
    *,
    waivers: Path | None = None,
    baseline: Path | None = None,
    framework: str | None = None,
    include_pass: bool = False,
    today=None,
) -> ReportOptions:
    loaded = waivers_mod.load(waivers, today=today) if waivers else ()
    waivers_mod.validate(loaded, catalogue.checks)
    if framework:
        fw_view.framework(catalogue, framework)  # unknown name -> InputError
    previous = baseline_mod.load_run(baseline) if baseline else None
    return ReportOptions(
        framework=framework, waivers=loaded, baseline=previous, include_pass=include_pass, today=today
    )


def emit(
    run,
    catalogue,
    *,
    formats: list[str],
    out_dir: Path | None,
    waivers: Path | None,
    baseline: Path | None,
    framework: str | None,
    snapshot_json: str | None,
    include_pass: bool = False,
    options: ReportOptions | None = None,
    sign: str | None = None,
    display: dict | None = None,
    stdout=None,
) -> str:
    """Render, optionally bundle, and return the text for stdout.

    Given ``stdout`` (a text stream), the `json` format is streamed there result by result instead of
    returned as one string (auditor.report.stream: the same bytes).

    Without out_dir exactly one format goes to stdout. With out_dir every format is written to the
    bundle and stdout gets a short account of it; ``sign`` (kms:KEY_ARN or file:KEY.pem) signs it. The framework view and the baseline summary go
    with human formats on stdout, and to stderr when stdout carries a machine document.
    """
    formats = parse_formats(formats)
    options = options or options_from(
        catalogue, waivers=waivers, baseline=baseline, framework=framework, include_pass=include_pass
    )
    if display:  # ReportOptions fields from the command line (table width and filters, SARIF source)
        from dataclasses import replace

        options = replace(options, **display)
    if baseline is not None and options.baseline is not None:
        baseline_mod.require_shared_scope(run, options.baseline, f"--baseline {baseline}")
    if "html" in formats and snapshot_json and not options.pictures:
        options = _with_pictures(options, snapshot_json, run)
    extras = _extras(run, catalogue, options)
    if sign and out_dir is None:
        raise InputError("--sign: signs an evidence bundle: give --out DIR too")
    if out_dir is not None:
        from dataclasses import replace

        from auditor.report.bundle import manifest_digest, write_bundle
        from auditor.report.signing import signer_from

        # The bundle is the same whatever the terminal: fixed width, no display filter, and SARIF
        # locations in the bundle's own snapshot.json.
        kept = replace(
            options,
            show_severities=None,
            show_statuses=None,
            width=120,
            wide=False,
            source_uri="snapshot.json" if snapshot_json else None,
            source_text=snapshot_json,
        )
        path = write_bundle(out_dir, run, snapshot_json, formats, catalogue, kept, signer_from(sign))
        names = sorted(p.name for p in Path(path).iterdir())
        text = ""
        if "table" in formats:
            text = render("table", run, catalogue, options) + "\n"
        text += extras
        return text + (
            f"Evidence bundle written to {path} ({len(names)} files: {', '.join(names)}); "
            f"manifest sha256 {manifest_digest(path)}\n"
        )
    if len(formats) > 1:
        raise InputError("--format: several formats need --out DIR (stdout takes one document)")
    fmt = formats[0]
    if fmt == "json" and stdout is not None:
        from auditor.report.stream import write_text

        write_text(run, stdout)
        if extras:
            sys.stderr.write(extras)
        return ""
    text = render(fmt, run, catalogue, options)
    if fmt == "table":
        return text + ("\n" + extras if extras else "")
    if extras and fmt not in HUMAN:
        sys.stderr.write(extras)
    return text


def _with_pictures(options: ReportOptions, snapshot_json: str, run) -> ReportOptions:
    """The HTML report's per-file-system drawing, from the snapshot the run was evaluated on."""
    from dataclasses import replace

    from auditor.analysis.access import Analysis
    from auditor.graph.picture import pictures
    from auditor.model.snapshot import loads
    from auditor.params import Params

    analysis = Analysis(loads(snapshot_json), Params.model_validate(run.parameters or {}))
    return replace(options, pictures=pictures(analysis))


def _extras(run, catalogue, options: ReportOptions) -> str:
    parts = []
    if options.framework:
        parts.append(fw_view.render_text(build(run, catalogue, options), options.framework))
    if options.baseline is not None:
        parts.append(baseline_mod.summary(baseline_mod.compare(run, options.baseline)))
    return "\n".join(parts)


def failing(run, catalogue, *, waivers: Path | None = None, today=None) -> list:
    """FAIL results no waiver covers: what an exit-code gate should count once waivers apply."""
    options = options_from(catalogue, waivers=waivers, today=today)
    # What build(...).rows would show as FAIL, without a row per result (a million PASS rows at scale).
    return unwaived_failures(run.results, options.waivers)
