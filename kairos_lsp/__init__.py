"""kairos-lsp: a memory-keeping coding assistant behind the Language Server Protocol."""

__version__ = "0.1.0"
