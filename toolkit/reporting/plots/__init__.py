"""Charts of fitted designs (presentation: the estimators in :mod:`toolkit.designs` draw nothing)."""
