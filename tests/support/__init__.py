"""Test support: finding PostgreSQL, building a database, making users and shops."""
