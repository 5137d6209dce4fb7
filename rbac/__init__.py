"""Authorization: the permission catalog, the Casbin model and enforcer, the route guard."""
