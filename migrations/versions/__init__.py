"""Revision scripts. Alembic loads them by path; this file only makes the wheel ship them."""
