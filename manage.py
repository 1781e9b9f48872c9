#!/usr/bin/env python
"""Django's command-line utility; `gratitude` is the same thing installed as a console script."""

from gratitude.cli import main

if __name__ == "__main__":
    main()
