"""Guard stages and the checks built on them: run a policy's guards over a
request's or an answer's texts, decide, and apply the decision. No HTTP here:
the routes and the LiteLLM guardrail share it."""

from .stages import GuardStage, InputGuardStage, OutputGuardStage, StageOutcome

__all__ = ["GuardStage", "InputGuardStage", "OutputGuardStage", "StageOutcome"]
