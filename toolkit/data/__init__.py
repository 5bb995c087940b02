"""Data access for the toolkit: deprivation reference data (:mod:`toolkit.data.imd`) and readers."""
