"""The ``synth`` template's stage (see :mod:`toolkit.stages.synth.analysis`)."""
