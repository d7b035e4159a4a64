"""EFS IAM evaluator: ALLOW / DENY / UNKNOWN for elasticfilesystem:ClientMount, ClientWrite and
ClientRootAccess (semantics §2). Pure: no I/O, nothing done at import time."""

from auditor.iam.can import Answer, can
from auditor.iam.conditions import OPERATORS, evaluate_condition, evaluate_conditions
from auditor.iam.evaluate import Decision, Evaluation, RequestContext, authorize
from auditor.iam.logic import Tri, and_, not_, or_
from auditor.iam.policy import Policy, PolicyError, Statement, action_matches, parse_policy, principals_of
from auditor.iam.principals import Principal

__all__ = [
    "OPERATORS",
    "Answer",
    "Decision",
    "Evaluation",
    "Policy",
    "PolicyError",
    "Principal",
    "RequestContext",
    "Statement",
    "Tri",
    "action_matches",
    "and_",
    "authorize",
    "can",
    "evaluate_condition",
    "evaluate_conditions",
    "not_",
    "or_",
    "parse_policy",
    "principals_of",
]
