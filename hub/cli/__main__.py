"""`python -m hub.cli`: the same as the `journeyhub` command."""

from hub.cli import main

main()
