"""The demo: its prefecture (config/demo.toml), a realistic past for the figures, and small
builders of sites and counters that tests and benchmarks share."""
