"""Crime Harm Index: weights, harm per person and place, concentration, cohorts, reoffending."""

from policeperf.harm.weights import HarmWeights, load_weights

__all__ = ["HarmWeights", "load_weights"]
