"""The HTTP gateway: an OpenAI-compatible reverse proxy with guard stages."""

from .config import GatewayConfig, load_config
from .enforcement.stages import InputGuardStage, OutputGuardStage, StageOutcome
from .http.app import create_app
from .http.errors import ClientError, UpstreamError, UpstreamTimeout, UpstreamUnreachable

__all__ = [
    "ClientError",
    "GatewayConfig",
    "InputGuardStage",
    "OutputGuardStage",
    "StageOutcome",
    "UpstreamError",
    "UpstreamTimeout",
    "UpstreamUnreachable",
    "create_app",
    "load_config",
]
