"""Database plumbing shared by `booking` and `notifications`: engines, the unit of work, column
types, the naming convention and the dialect-aware INSERT. It imports nothing of ours."""
