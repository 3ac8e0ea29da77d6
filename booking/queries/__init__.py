"""Read-only queries: the managers' figures, computed in the database (GROUP BY), never by
loading visits into Python. Nothing here writes."""
