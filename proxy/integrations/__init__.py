"""sluicegate inside other gateways. Each integration lives in its own module
and imports its host only there: :mod:`sluicegate.proxy.integrations.litellm`
needs the ``litellm`` extra; nothing here imports it."""
