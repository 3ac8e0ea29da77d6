"""Tools for people and for the tests alike: a live server on 127.0.0.1, the demo behind it,
Chromium's launch options, the citizen's journey step by step, and `make screenshots`."""
