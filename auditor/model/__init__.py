"""Typed, versioned models: the snapshot the collectors write and the results the checks produce."""
