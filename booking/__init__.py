"""Guichet, the booking service. Its rooms, from the bottom up: `core/` (pure rules),
`config/`, `domain/` (on a session), `use_cases/` and `queries/`, `demo/`, the container,
`web/`, then the entry points `cli.py` and `worker.py`."""
