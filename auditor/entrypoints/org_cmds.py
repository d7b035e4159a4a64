"""`efs-audit plan` and `efs-audit merge`: the organization path.

    plan --organization --role-name NAME [--ou OU_ID ...] [--account ID ...] [--exclude-account ID ...]
         [--external-id ID] [--region R ...] [--cluster NAME ...] --out plan.json
    plan --role-arn ARN ... [--region R ...] --out plan.json
    collect --plan plan.json --shard I/N --out shard-I.json      (see cli.collect)
    collect --plan plan.json --workers K --out snapshot.json
    merge --plan plan.json shard-*.json --out snapshot.json

Exit codes: plan 0 written, 2 bad input; merge 0 complete, 3 something planned is missing, 2 bad input.
"""

from __future__ import annotations

from pathlib import Path

import typer

from auditor.entrypoints.report_cmds import PlainUsage


def register(app: typer.Typer) -> None:
    @app.command("plan", cls=PlainUsage)
    def plan(
        out: Path = typer.Option(..., "--out", "-o", metavar="FILE", help="Write the plan JSON here."),
        organization: bool = typer.Option(
            False,
            "--organization",
            help="Discover the accounts through AWS Organizations (run with "
            "credentials of the management or a delegated administrator account).",
        ),
        role_name: str | None = typer.Option(
            None,
            "--role-name",
            metavar="NAME",
            help="Role to assume in every discovered account (path/name allowed).",
        ),
        ou: list[str] | None = typer.Option(
            None,
            "--ou",
            metavar="OU_ID",
            help="Only accounts under this organizational unit or root (repeatable).",
        ),
        account: list[str] | None = typer.Option(
            None, "--account", metavar="ID", help="Only this account (repeatable)."
        ),
        exclude_account: list[str] | None = typer.Option(
            None,
            "--exclude-account",
            metavar="ID",
            help="Leave this account out; listed as skipped (repeatable).",
        ),
        role_arn: list[str] | None = typer.Option(
            None,
            "--role-arn",
            metavar="ARN[,EXTERNAL_ID[,SESSION_NAME]]",
            help="Plan these roles instead of discovering (repeatable).",
        ),
        external_id: str | None = typer.Option(
            None, "--external-id", metavar="ID", help="ExternalId for every assumed role that gives none."
        ),
        session_name: str = typer.Option(
            "efs-audit", "--session-name", metavar="NAME", help="RoleSessionName."
        ),
        region: list[str] | None = typer.Option(
            None,
            "--region",
            metavar="REGION",
            help="Regions to collect in every account (repeatable; default: every "
            "region enabled for each account).",
        ),
        cluster: list[str] | None = typer.Option(
            None,
            "--cluster",
            metavar="NAME",
            help="A Kubernetes cluster the collection must include (repeatable).",
        ),
        profile: str | None = typer.Option(None, "--profile", metavar="PROFILE", help="AWS named profile."),
    ) -> None:
        """Write a deterministic collection plan: the sorted accounts with their role ARNs, the regions,
        the clusters, and a digest every shard records."""
        from auditor.model.snapshot import InputError
        from auditor.org import plan as plans

        if organization == bool(role_arn):
            raise InputError("plan: give either --organization with --role-name, or --role-arn (one or more)")
        if organization:
            if not role_name:
                raise InputError(
                    "plan --organization: --role-name is required (the role to assume in each account)"
                )
            import boto3

            from auditor.org.discover import discover

            made = discover(
                boto3.Session(profile_name=profile),
                role_name,
                ou or (),
                account or (),
                exclude_account or (),
                external_id,
                session_name,
                region or (),
                cluster or (),
            )
        else:
            if ou or account or exclude_account or role_name:
                raise InputError(
                    "plan --role-arn: --ou, --account, --exclude-account and --role-name go with "
                    "--organization"
                )
            from auditor.collectors.aws.run import RoleTarget
            from auditor.model.ids import parse_arn
            from auditor.model.plan import PlannedAccount

            targets = [RoleTarget.parse(a, external_id, session_name) for a in role_arn or ()]
            made = plans.make_plan(
                "role-arns",
                [
                    PlannedAccount(
                        account_id=parse_arn(t.arn).account,
                        role_arn=t.arn,
                        external_id=t.external_id,
                        session_name=t.session_name,
                    )
                    for t in targets
                ],
                [],
                region or (),
                cluster or (),
            )
        plans.save(made, out)
        typer.echo(
            f"plan written to {out}: {len(made.accounts)} accounts, {len(made.skipped)} skipped, "
            f"{len(made.regions) or 'all enabled'} regions, digest {made.digest[:12]}",
            err=True,
        )
        for s in made.skipped:
            typer.echo(
                f"  skipped {s.account_id}{' (' + s.name + ')' if s.name else ''}: {s.reason}", err=True
            )

    @app.command("merge", cls=PlainUsage)
    def merge_cmd(
        shards: list[Path] = typer.Argument(
            ...,
            metavar="SHARD...",
            help="Shard snapshots written by `efs-audit collect --plan P --shard I/N`.",
        ),
        plan_file: Path = typer.Option(
            ..., "--plan", metavar="FILE", help="The plan the shards were collected against."
        ),
        out: Path = typer.Option(..., "--out", "-o", metavar="FILE", help="Write the merged snapshot here."),
    ) -> None:
        """Merge shard snapshots against their plan: every planned account, region or service no shard
        delivered becomes a collection issue (exit 3), and `check` reports what it affects NOT_ASSESSED."""
        from auditor.model import snapshot as snap
        from auditor.org import plan as plans
        from auditor.org.collect import merge_shards

        the_plan = plans.load(plan_file)
        merged = merge_shards(the_plan, [snap.load(p) for p in shards], [str(p) for p in shards])
        snap.save(merged, out)
        missing = [i for i in merged.issues if i.operation == "Plan"]
        typer.echo(
            f"merged {len(shards)} shards into {out}: {len(merged.units)} collection units, "
            f"{len(merged.issues)} collection issues ({len(missing)} planned but not delivered)",
            err=True,
        )
        raise typer.Exit(
            3 if merged.issues or not merged.units or not all(u.complete for u in merged.units) else 0
        )


def collect_planned(plan_file: Path, shard: str | None, workers: int | None, profile: str | None, progress):
    """`collect --plan`: one shard, or every shard on a local process pool merged against the plan."""
    from auditor.model.snapshot import InputError
    from auditor.org import plan as plans
    from auditor.org.collect import ShardSettings, collect_shard, collect_with_workers

    the_plan = plans.load(plan_file)
    settings = ShardSettings(profile=profile)
    if shard and workers:
        raise InputError("collect --plan: give --shard I/N or --workers K, not both")
    if shard:
        index, count = plans.parse_shard(shard)
        return collect_shard(the_plan, index, count, settings, progress)
    if workers is not None and workers < 1:
        raise InputError(f"--workers: expected a whole number of at least 1, found {workers}")
    return collect_with_workers(the_plan, workers or 1, settings, progress)
