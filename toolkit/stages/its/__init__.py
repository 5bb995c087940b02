"""The ``its`` template's stage (see :mod:`toolkit.stages.its.analysis`)."""
