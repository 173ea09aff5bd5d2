"""`python -m reasoner ...` is the same as `reasoner ...`."""

from reasoner.cli import main

main()
