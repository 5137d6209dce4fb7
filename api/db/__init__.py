"""Database access: engine, per-request sessions, the shop boundary, migrations."""
