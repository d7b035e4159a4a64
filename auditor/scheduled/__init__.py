"""The scheduled audit as a library: settings (``settings``), the one job sequence (``job``), the
baseline it compares with (``baseline``), where the bundle goes (``sinks``), the AWS clients for them
(``aws``) and the organization audit's plan / collect-shard / reduce modes (``org``). The front doors in
auditor.entrypoints (aws_lambda, cronjob, org_lambda, org_job) are thin adapters over it; the exit code is
auditor.gate's. Importing the package creates no client."""
