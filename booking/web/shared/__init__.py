"""What the API, the citizen's pages and the back office share: forms, dates, labels, the
request's language, the figures' tables, the CSRF guard."""
