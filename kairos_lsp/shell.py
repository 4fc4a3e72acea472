"""``kairos shell-init bash|zsh|fish``: the opt-in snippet that records each command line.

After each command the snippet starts, in the background and silenced,

    kairos record-command --exit CODE --duration SECONDS --cwd DIR -- COMMANDLINE

so the memory knows what was run, where, how it ended and how long it took; never
its output. Empty lines, ``kairos`` itself, and lines the shell keeps out of its
history (a leading space under ``ignorespace`` / ``HIST_IGNORE_SPACE``, and fish's
private leading space) are not recorded. The prompt never waits for it and never
sees it fail. Users opt in from their rc file:

    eval "$(kairos shell-init bash)"      # ~/.bashrc
    eval "$(kairos shell-init zsh)"       # ~/.zshrc
    kairos shell-init fish | source       # ~/.config/fish/config.fish

>>> "record-command" in snippet("zsh") and "fish_postexec" in snippet("fish")
True
>>> snippet("tcsh")
Traceback (most recent call last):
...
ValueError: kairos shell-init: unknown shell 'tcsh' (bash, zsh or fish)
"""

from __future__ import annotations

SHELLS = ("bash", "zsh", "fish")

# bash >= 4.4: PS0 is expanded after a line is read and before it runs; an arithmetic subscript in it
# notes the start time (microseconds) in this shell without a fork. PROMPT_COMMAND runs first in line
# (to see $?), takes the line from history (a new history number means a new, recordable line: empty
# lines and lines kept out of history do not make one) and restores $? for whatever follows.
BASH = r"""# kairos shell-init bash: records each command line, cwd, exit code and duration (never the output)
if [[ $- == *i* && -z ${__kairos_hooked-} ]]; then
__kairos_hooked=1
__kairos_t0=
__kairos_last=
if [[ -n ${EPOCHREALTIME-} ]]; then
    PS0=${PS0-}'${__kairos_none[__kairos_t0=${EPOCHREALTIME/[.,]/}]-}'
else
    PS0=${PS0-}'${__kairos_none[__kairos_t0=SECONDS*1000000]-}'
fi
__kairos_record() {
    local code=$? entry number line now duration
    if [[ -z $__kairos_t0 ]]; then return $code; fi
    now=${EPOCHREALTIME/[.,]/}
    [[ -n $now ]] || now=$((SECONDS * 1000000))
    (( duration = now - __kairos_t0, duration < 0 && (duration = 0) ))
    __kairos_t0=
    entry=$(HISTTIMEFORMAT= builtin history 1)
    [[ $entry =~ ^[[:space:]]*([0-9]+)[*[:space:]]+(.*)$ ]] || return $code
    number=${BASH_REMATCH[1]} line=${BASH_REMATCH[2]}
    if [[ $number == "$__kairos_last" ]]; then return $code; fi
    __kairos_last=$number
    if [[ $line =~ ^[[:space:]]*$ || $line =~ ^[[:space:]]*kairos([[:space:]]|$) ]]; then return $code; fi
    printf -v duration '%d.%06d' $((duration / 1000000)) $((duration % 1000000))
    (command kairos record-command --exit "$code" --duration "$duration" --cwd "$PWD" -- "$line" \
        </dev/null >/dev/null 2>&1 &)
    return $code
}
PROMPT_COMMAND="__kairos_record${PROMPT_COMMAND:+;$PROMPT_COMMAND}"
fi
"""

# zsh: preexec gets the line as typed, precmd (put first) sees its exit code; `&!` backgrounds and disowns.
ZSH = r"""# kairos shell-init zsh: records each command line, cwd, exit code and duration (never the output)
if [[ -o interactive ]] && (( ! ${+__kairos_hooked} )); then
typeset -g __kairos_hooked=1 __kairos_line= __kairos_t0=
zmodload -F zsh/datetime p:EPOCHREALTIME 2>/dev/null
__kairos_preexec() {
    __kairos_line=${1:-$3}
    __kairos_t0=${EPOCHREALTIME:-$SECONDS}
}
__kairos_precmd() {
    local code=$? line=$__kairos_line t0=$__kairos_t0
    __kairos_line= __kairos_t0=
    [[ -n $t0 ]] || return $code
    [[ $line == *[![:space:]]* ]] || return $code
    [[ -o hist_ignore_space && $line == [[:space:]]* ]] && return $code
    [[ $line =~ '^[[:space:]]*kairos([[:space:]]|$)' ]] && return $code
    local -F 6 duration=$(( ${EPOCHREALTIME:-$SECONDS} - t0 ))
    (( duration < 0 )) && duration=0
    command kairos record-command --exit $code --duration $duration --cwd $PWD -- $line \
        </dev/null >/dev/null 2>&1 &!
    return $code
}
typeset -ga preexec_functions precmd_functions
preexec_functions=(__kairos_preexec $preexec_functions)
precmd_functions=(__kairos_precmd $precmd_functions)
fi
"""

# fish: fish_postexec carries the line; $status is the command's, $CMD_DURATION its milliseconds.
FISH = r"""# kairos shell-init fish: records each command line, cwd, exit code and duration (never the output)
if status is-interactive; and not set -q __kairos_hooked
    set -g __kairos_hooked 1
    function __kairos_postexec --on-event fish_postexec
        set -l code $status
        set -l line $argv[1]
        string match -qr '^\s*$' -- $line; and return
        string match -qr '^\s' -- $line; and return
        string match -qr '^\s*kairos(\s|$)' -- $line; and return
        string match -qr '^\s*exit(\s|$)' -- $line; and return
        set -l duration (math --scale=3 "$CMD_DURATION / 1000")
        command kairos record-command --exit $code --duration $duration --cwd $PWD -- $line \
            </dev/null >/dev/null 2>&1 &
        disown 2>/dev/null
    end
end
"""

SNIPPETS = {"bash": BASH, "zsh": ZSH, "fish": FISH}


def snippet(shell: str) -> str:
    """The snippet for ``shell`` (``bash``, ``zsh`` or ``fish``; a path like ``/bin/zsh`` works too).

    >>> snippet("/usr/bin/bash").startswith("# kairos shell-init bash")
    True
    """
    name = shell.rsplit("/", 1)[-1]
    if name not in SNIPPETS:
        raise ValueError(f"kairos shell-init: unknown shell {shell!r} (bash, zsh or fish)")
    return SNIPPETS[name]
