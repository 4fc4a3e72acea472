"""What the user sees: hover, diagnostics, code actions, commands.

Each feature is a plain function from knowledge (and an open document) to
``lsprotocol`` types; ``server.py`` only wires them to LSP methods.
"""
