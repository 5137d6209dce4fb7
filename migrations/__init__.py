"""Alembic's scripts, shipped inside the wheel as a package (``api.db.migrate`` finds them)."""
