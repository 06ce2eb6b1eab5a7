"""``python -m chainscout``: the same as the ``chainscout`` command."""

from chainscout.cli import main

if __name__ == "__main__":
    main()
