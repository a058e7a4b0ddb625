"""`python -m plinth` runs the command line."""

from plinth.cli import main

main()
