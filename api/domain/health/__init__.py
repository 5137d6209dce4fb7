"""The health feature."""
