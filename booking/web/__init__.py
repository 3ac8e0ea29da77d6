"""Web interfaces: the JSON API (and, later, the citizen, staff and manager pages)."""
