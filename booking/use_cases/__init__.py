"""The application layer: every entry point (JSON API, pages, staff tools, CLI, inbound SMS)
calls these use cases. Each opens its unit of work, calls the domain, writes its messages to
the outbox in the same transaction and returns plain results for the caller to present."""
