"""The shops feature."""
