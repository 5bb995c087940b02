"""Power and minimum detectable effects for the designs the toolkit offers.

* :func:`mde_did` — cluster DiD (Burlig, Preonas & Woerman 2020), variance components from baseline data;
* :func:`mde_staggered` — staggered rollout (Callaway–Sant'Anna simple ATT), same variance model;
* :func:`mde_gap` — the difference in the gap (triple difference);
* :func:`mde_its` — interrupted time series with AR(1) errors, by seeded simulation;
* :func:`pretrend_power` — the power of a pre-trend test against a given violation (Roth 2022).

Each returns a read-only :class:`PowerResult`; :func:`describe_power` puts it in one plain sentence.
"""

from toolkit.power.its import mde_its
from toolkit.power.panel import mde_did, mde_gap, mde_staggered
from toolkit.power.pretrend import pretrend_power
from toolkit.power.result import PowerResult, mde_from_se, power_from_se
from toolkit.power.wording import describe_power

__all__ = ["PowerResult", "mde_did", "mde_staggered", "mde_gap", "mde_its", "pretrend_power",
           "mde_from_se", "power_from_se", "describe_power"]
