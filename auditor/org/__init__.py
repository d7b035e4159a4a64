"""Organization scale: the plan, sharded collection and the merge against the plan."""
