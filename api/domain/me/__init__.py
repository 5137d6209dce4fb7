"""The signed-in caller's own view: ``GET /me``."""
