"""Entry points: ``python -m kairos_lsp`` starts the language server; :func:`kairos` is the
``kairos`` console script.

``kairos run`` goes straight to its light front (``launch.py``), so that wrapping a
command costs the interpreter's start and little more; every other command
loads the CLI.
"""

import sys


def kairos() -> int:
    """The ``kairos`` console script."""
    if sys.argv[1:2] == ["run"]:
        from kairos_lsp.launch import main as run_command

        return run_command(sys.argv[2:])
    from kairos_lsp.cli import main

    return main()


if __name__ == "__main__":
    from kairos_lsp.server import main

    main()
