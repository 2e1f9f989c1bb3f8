#!/usr/bin/env python
"""Same as the ``custos`` console script, for those who expect manage.py."""

from custos.cli import main

if __name__ == "__main__":
    main()
