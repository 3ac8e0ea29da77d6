"""Settings, the shipped files' paths and logging: read by every layer, importing none of them."""
