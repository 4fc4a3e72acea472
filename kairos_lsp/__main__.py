"""``python -m kairos_lsp`` starts the language server (the CLI is ``kairos``)."""

from kairos_lsp.server import main

if __name__ == "__main__":
    main()
