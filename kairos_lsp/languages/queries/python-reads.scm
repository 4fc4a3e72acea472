; The attributes an open document reads (`ctx.protected_args`, `flask.__version__`, a base
; class `json.JSONEncoder`), for the uses of what the memory saw become deprecated
; (checks/deprecations.py). Asked only when the memory saw something deprecated; sites.py
; keeps those named so, and leaves out a call's callee (a call site) and an assignment's target.
(attribute attribute: (identifier) @read.name)
