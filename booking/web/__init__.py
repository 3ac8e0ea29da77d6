"""The web layer: the JSON API (`api/`), the citizen's pages (`pages/`), the back office and
the managers' dashboard (`staff/`), and what they share (`shared/`). Handlers parse, call one
use case or query, and present; nothing here opens a transaction."""
