"""Linking chat accounts to the roster: importing the roster, single-use linking codes, and
``sejabot roster``."""
