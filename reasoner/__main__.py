"""`python -m reasoner ...` is the same as `reasoner ...`."""

from reasoner.console import script

script()
