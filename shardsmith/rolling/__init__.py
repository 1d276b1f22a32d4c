"""Monthly rolling collections: names, routed writes, range reads (see README, "Rolling collections")."""
