"""Procedure catalogue and document checklists: pure code, no web and no database."""
