"""`python -m bot` is the `sejabot` command."""

from bot.cli import main

main()
