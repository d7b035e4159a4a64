"""Analysis of a snapshot: indexes, mounts, identities, authorization, effective access and possible reach."""
