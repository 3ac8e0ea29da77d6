"""The JSON API v1: thin handlers that parse, call one use case and present the result."""
