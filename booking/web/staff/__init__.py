"""The staff back office: pages under /staff/, signed in with a session cookie; every form
carries the session's CSRF token, checked by one guard (`booking/web/shared/csrf.py`)."""
