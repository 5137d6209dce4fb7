"""Mounts the commerce desk's second part (issue 8 items 5-7); holds no logic of its own."""
