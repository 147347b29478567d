#compdef git-codex
# zsh completion for git codex (print it with: git codex completion zsh).
#
# Install as _git-codex in a directory on $fpath. zsh's git completion calls
# _git-codex for `git codex <TAB>`; `git-codex <TAB>` uses it directly.
# Candidates come from `git codex __complete`, which knows the commands,
# flags, topics and sessions of the installed version.

_git-codex () {
	local -a args lines values descs
	local start=1 i out directive line
	# The words after "codex" (or "git-codex"), up to the one being completed.
	for (( i = 1; i < CURRENT; i++ )); do
		case $words[i] in
		(codex|git-codex|*/git-codex) start=$(( i + 1 )); break ;;
		esac
	done
	args=("${(@)words[start,CURRENT-1]}")
	out=$(git codex __complete --shell zsh -- "${(@)args}" "$PREFIX$SUFFIX" 2>/dev/null) || return 1
	lines=("${(@f)out}")
	if [[ $lines[1] == :* ]]; then
		directive=$lines[1]
		shift lines
		case $directive in
		(:files) _files; return ;;
		(:dirs) _files -/; return ;;
		(:default) _normal; return ;;
		esac
	fi
	for line in "${(@)lines}"; do
		[[ -n $line ]] || continue
		values+=("${line%%$'\t'*}")
		if [[ $line == *$'\t'* ]]; then
			descs+=("${line%%$'\t'*}:${${line#*$'\t'}//:/\\:}")
		else
			descs+=("$line")
		fi
	done
	(( $#values )) || return 1
	_describe -t git-codex 'git codex' descs
}

if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
	_git-codex "$@"
else
	compdef _git-codex git-codex
fi
