"""Every call of API.md's Resources table, with both clients, against the reference server."""
