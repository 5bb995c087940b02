"""The ``rd`` template's stage (see :mod:`toolkit.stages.rd.analysis`)."""
