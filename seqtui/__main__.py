"""`python -m seqtui` runs the CLI."""

from seqtui.cli import main

main()
