"""Identity: password hashing, access and refresh tokens, the authenticated principal."""
