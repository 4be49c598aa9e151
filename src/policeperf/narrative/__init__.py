"""Narrative: plain-English sentences built only from the results table."""

from policeperf.narrative.commentary import Paragraph, commentary
from policeperf.narrative.facts import Facts

__all__ = ["Facts", "Paragraph", "commentary"]
