; Call sites and imported names in an open document, for diagnostics and fixes.
; @call.args is the argument list; @call.keyword / @call.spread are read by
; their parent (the argument list) so that one call's arguments stay together.
(call function: (_) @call.callee arguments: (argument_list) @call.args)
(argument_list (keyword_argument name: (identifier) @call.keyword))
(argument_list [(list_splat) (dictionary_splat)] @call.spread)

(import_from_statement module_name: (_) @import.module name: (dotted_name) @import.name)
(import_from_statement module_name: (_) @import.module
  name: (aliased_import name: (dotted_name) @import.name alias: (identifier) @import.alias))
