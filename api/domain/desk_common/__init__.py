"""Small pieces the commerce-desk slices share (issue 8): bounded text types, keyset pages."""
