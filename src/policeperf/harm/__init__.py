"""Crime Harm Index: harm per person and place, concentration, cohorts, reoffending.

The weights themselves are reference data (`policeperf.reference.harm_weights`).
"""

from policeperf.reference.harm_weights import HarmWeights, load_weights

__all__ = ["HarmWeights", "load_weights"]
