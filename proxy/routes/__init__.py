"""One module per endpoint family: guarded LLM endpoints, passthrough, the
guard service, health."""
