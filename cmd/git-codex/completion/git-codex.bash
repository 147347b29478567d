# bash completion for git codex (print it with: git codex completion bash).
#
# git's own completion calls _git_codex for `git codex <TAB>`; `git-codex
# <TAB>` is completed too. Candidates come from `git codex __complete`, which
# knows the commands, flags, topics and sessions of the installed version.

_git_codex ()
{
	local i start=0 frag=$cur out directive line c
	# The words after "codex" (or "git-codex"), up to the one being completed.
	for ((i = 0; i < cword; i++)); do
		case "${words[i]}" in
		codex|git-codex|*/git-codex) start=$((i + 1)); break ;;
		esac
	done
	local -a args=("${words[@]:start:cword-start}")
	if declare -F __git >/dev/null; then
		out=$(__git codex __complete --shell bash -- "${args[@]}" "$cur")
	else
		out=$(git codex __complete --shell bash -- "${args[@]}" "$cur" 2>/dev/null)
	fi
	# "--flag=value": bash replaces only the part after "=".
	case "$cur" in
	-*=*) frag=${cur#*=} ;;
	esac
	COMPREPLY=()
	if [[ $out == :* ]]; then
		directive=${out%%$'\n'*}
		case "$directive" in
		:files)
			compopt -o filenames 2>/dev/null
			local IFS=$'\n'
			COMPREPLY=($(compgen -f -- "$frag"))
			return 0 ;;
		:dirs)
			compopt -o filenames 2>/dev/null
			local IFS=$'\n'
			COMPREPLY=($(compgen -d -- "$frag"))
			return 0 ;;
		:default)
			compopt -o default -o bashdefault 2>/dev/null
			return 0 ;;
		esac
		out=${out#"$directive"}
	fi
	while IFS= read -r line; do
		[ -n "$line" ] || continue
		c=${line%%$'\t'*}
		[[ $c == "$frag"* ]] || continue
		COMPREPLY+=("$c ")
	done <<<"$out"
	return 0
}

# git-codex run directly.
__git_codex_direct ()
{
	local cur words cword prev
	if declare -F _get_comp_words_by_ref >/dev/null; then
		_get_comp_words_by_ref -n =: cur words cword prev
	else
		words=("${COMP_WORDS[@]}") cword=$COMP_CWORD cur=${COMP_WORDS[COMP_CWORD]}
	fi
	_git_codex
}

complete -o bashdefault -o default -o nospace -F __git_codex_direct git-codex 2>/dev/null ||
	complete -o default -o nospace -F __git_codex_direct git-codex
