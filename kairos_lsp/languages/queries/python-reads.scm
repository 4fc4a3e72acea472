; The attributes an open document reads (`ctx.protected_args`, `flask.__version__`, a base
; class `json.JSONEncoder`, a decorator `@utils.cached`, `except errors.OldError:`), for the
; uses of what the memory saw become deprecated or go (checks/deprecations.py,
; checks/references.py). Asked only when the memory saw such a thing; sites.py keeps those
; so named, and leaves out a call's callee (a call site) and an assignment's target.
(attribute attribute: (identifier) @read.name)
