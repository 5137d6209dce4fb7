"""Rate limits for integration keys: per key and per shop, counted in the database."""
