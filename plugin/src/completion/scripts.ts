// The bash and zsh completion scripts `kubectl liftoff completion bash|zsh` prints. Both are thin: they hand the
// words before the cursor to `kubectl-liftoff __complete` (engine.ts, which answers from the command specs and asks
// kubectl for object names) and apply cobra's directives, so a new command or flag needs no script change. They
// complete `kubectl-liftoff …` typed directly; `kubectl liftoff <TAB>` goes through kubectl's own completion, which
// (kubectl ≥ 1.26) runs the `kubectl_complete-liftoff` executable the package installs next to the plugin.

// Written with %{ for ${ (a template literal cannot hold ${ literally); completionScript() puts them back.
const BASH = String.raw`# bash completion for kubectl-liftoff (kubectl liftoff).
# Load it in the current shell:   source <(kubectl liftoff completion bash)
# or for every shell:             kubectl liftoff completion bash > ~/.local/share/bash-completion/completions/kubectl-liftoff
__kubectl_liftoff_complete() {
    local line="%{COMP_LINE:0:COMP_POINT}"
    local -a words
    read -r -a words <<<"$line"
    [[ "$line" =~ [[:space:]]$ ]] && words+=("")
    local skip=1
    [[ "%{words[0]}" == kubectl && "%{words[1]}" == liftoff ]] && skip=2
    local -a args=("%{words[@]:skip}")
    [[ %{#args[@]} -eq 0 ]] && args=("")
    local out
    out="$(kubectl-liftoff __complete "%{args[@]}" 2>/dev/null)" || return 0
    local directive="%{out##*:}"
    [[ "$directive" =~ ^[0-9]+$ ]] || return 0
    # What bash replaces is its own current word (it splits at = and :); ours is the whole word.
    local ours="%{args[%{#args[@]}-1]}" theirs="%{COMP_WORDS[COMP_CWORD]}" strip=0
    [[ -n "$theirs" && "$ours" == *"$theirs" ]] && strip=$((%{#ours} - %{#theirs}))
    [[ -z "$theirs" ]] && strip=%{#ours}
    COMPREPLY=()
    local c
    while IFS= read -r c; do
        [[ -z "$c" || "$c" == :* ]] && continue
        c="%{c%%$'\t'*}"
        COMPREPLY+=("%{c:strip}")
    done <<<"$out"
    if (( directive & 2 )); then compopt -o nospace 2>/dev/null; fi
    if (( %{#COMPREPLY[@]} == 0 )) && ! (( directive & 4 )); then compopt -o default 2>/dev/null; fi
    return 0
}
complete -F __kubectl_liftoff_complete kubectl-liftoff
`;

const ZSH = String.raw`#compdef kubectl-liftoff
# zsh completion for kubectl-liftoff (kubectl liftoff).
# Load it in the current shell:   source <(kubectl liftoff completion zsh)
# or for every shell:             kubectl liftoff completion zsh > "%{fpath[1]}/_kubectl-liftoff"
_kubectl_liftoff() {
    local -a args lines cands
    local out directive l value skip=2
    [[ "%{words[1]}" == kubectl && "%{words[2]}" == liftoff ]] && skip=3
    args=("%{(@)words[skip,CURRENT-1]}" "%{words[CURRENT]}")
    out="$(kubectl-liftoff __complete "%{(@)args}" 2>/dev/null)" || return 1
    lines=("%{(@f)out}")
    directive="%{lines[-1]#:}"
    [[ "$directive" == <-> ]] || return 1
    cands=()
    for l in "%{(@)lines[1,-2]}"; do
        [[ -z "$l" ]] && continue
        if [[ "$l" == *$'\t'* ]]; then
            value="%{l%%$'\t'*}"
            cands+=("%{value//:/\\:}:%{l#*$'\t'}")
        else
            cands+=("%{l//:/\\:}")
        fi
    done
    if (( %{#cands} == 0 )); then
        (( directive & 4 )) || _files
        return 0
    fi
    if (( directive & 2 )); then
        _describe -t values 'kubectl liftoff' cands -S ''
    else
        _describe -t values 'kubectl liftoff' cands
    fi
}
if [[ "%{funcstack[1]}" == _kubectl_liftoff ]]; then
    _kubectl_liftoff "$@"
else
    compdef _kubectl_liftoff kubectl-liftoff
fi
`;

export const SHELLS = ["bash", "zsh"] as const;
export type Shell = (typeof SHELLS)[number];

export function completionScript(shell: Shell): string {
  return (shell === "bash" ? BASH : ZSH).replaceAll("%{", "${");
}
