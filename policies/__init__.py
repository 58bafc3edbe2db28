"""Policies: declarative rules that turn guard findings into decisions."""

from .decisions import Action, DecisionReason, PolicyDecision, RuleMatch, Stage
from .engine import RequestInfo, decide
from .errors import PolicyError
from .evaluator import Escalation, Evaluation, PolicyEvaluator
from .loader import PolicyLoader
from .policy import Policy
from .schema import PolicySpec

__all__ = [
    "Action",
    "DecisionReason",
    "Escalation",
    "Evaluation",
    "Policy",
    "PolicyDecision",
    "PolicyError",
    "PolicyEvaluator",
    "PolicyLoader",
    "PolicySpec",
    "RequestInfo",
    "RuleMatch",
    "Stage",
    "decide",
]
