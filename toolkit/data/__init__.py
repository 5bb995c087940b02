"""Data access for the toolkit, one concern per module.

- :mod:`toolkit.data.sources` — find, describe and read a source's files;
- :mod:`toolkit.data.contracts`, :mod:`toolkit.data.rules`, :mod:`toolkit.data.checking` — each template's data
  contract, its rules as SQL, and the check in one scan of the records;
- :mod:`toolkit.data.imd` (with :mod:`~toolkit.data.imd_reference` and :mod:`~toolkit.data.lsoa_vintage`) — the
  built-in English Indices of Deprivation, LSOA vintage detection and attaching deprivation;
- :mod:`toolkit.data.cells` — the one aggregation of records to analysis cells (Ibis, written once);
- :mod:`toolkit.data.engine` — where it runs: DuckDB (default), an SQL database or Spark;
- :mod:`toolkit.data.aggregate` — :func:`~toolkit.data.aggregate.aggregate`, the entry point stages and benchmarks call.
"""
