"""The HTTP gateway: an OpenAI-compatible reverse proxy with guard stages."""

from .app import create_app
from .config import GatewayConfig, load_config
from .enforcement import InputGuardStage, OutputGuardStage, StageOutcome
from .errors import ClientError, UpstreamError, UpstreamTimeout, UpstreamUnreachable

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
