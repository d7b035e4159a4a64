"""Names vulture reports as unused that are used, only not by a call it can see.

Run as: vulture auditor tests benchmarks .ci/vulture_whitelist.py --min-confidence 60
Every entry says who uses the name. Code that nothing uses is deleted, not listed here.
"""

from vulture.whitelist_utils import Whitelist

_ = Whitelist()

# Fact resolvers: auditor/checks/facts.py calls Resolver._<fact name> by name (_METHODS), one per Fact.
_._file_system_policy
_._mount_target_security_groups
_._security_groups
_._subnets
_._backup_coverage
_._role_policies
_._task_definition
_._lambda_function
_._kubernetes_workload
_._workload_volumes
_._cluster_identity
_._application_identity
_._other_workloads
# Fact.about: the description every fact carries for the reader of the fact table.
_.about

# Typer commands: registered by the @app.command decorator, called by the CLI.
_.access
_.scan
_.merge_cmd
_.review_command
# Enum members: typer offers every member as a choice of --fail-on; Severity is looked up by value.
_.critical
_.medium
_.low
_.never
_.MEDIUM
_.LOW
_.INFO

# Pydantic model fields: part of the snapshot, plan and run file formats (read, validated, written).
_.schema_version
_.owner_id
_.life_cycle_state
_.claim_namespace
_.allow_privilege_escalation
_.mount_path
_.sub_path
_.association_arn

# Attributes set for the library that reads them: requests reads Response._content;
# json.JSONDecoder.decode calls scan_once.
_._content
_.scan_once

# http.server / socketserver hooks (benchmarks/organization.py, tests/faults/proxy.py, tests/k8s/fake_api.py).
_.protocol_version
_.timeout
_.daemon_threads
_.close_connection
_.do_GET
_.do_POST
_.do_PUT
_.do_DELETE
_.do_HEAD
_.log_message
_.handle_error
_.client_address
# html.parser.HTMLParser callbacks (tests/report/test_html.py).
_.handle_starttag
_.handle_data
_.handle_startendtag
_.handle_endtag
# signal handler arguments (tests/fuzz/harness.py): the signature signal.signal requires.
_.signum
_.frame

# pytest fixtures, requested by name (autouse, or a test parameter used for its side effect).
_.no_backoff
_.short_timeouts
_.umask_022
_._shared_botocore_loader

# kubernetes.client.Configuration.retries: read by the client's REST layer for its urllib3 pool
# (auditor/collectors/k8s/live.py sets it).
_.retries

# pytest hooks, called by name.
_.pytest_collection_modifyitems
