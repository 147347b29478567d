# fish completion for git codex (print it with: git codex completion fish).
#
# Install as ~/.config/fish/completions/git-codex.fish. It completes
# `git-codex …`; fish's git completion uses it for `git codex …` as well.
# Candidates come from `git codex __complete`, which knows the commands,
# flags, topics and sessions of the installed version.

function __git_codex_complete
    set -l tokens (commandline -opc)
    set -l start 0
    for i in (seq (count $tokens))
        switch $tokens[$i]
            case codex git-codex '*/git-codex'
                set start (math $i + 1)
                break
        end
    end
    set -l args
    if test $start -gt 0 -a $start -le (count $tokens)
        set args $tokens[$start..-1]
    end
    set -l out (git codex __complete --shell fish -- $args (commandline -ct) 2>/dev/null)
    if test (count $out) -gt 0
        switch $out[1]
            case ':files' ':default'
                __fish_complete_path (commandline -ct)
                return
            case ':dirs'
                __fish_complete_directories (commandline -ct)
                return
        end
    end
    printf '%s\n' $out
end

complete -c git-codex -f -a '(__git_codex_complete)'
# `git codex …` where fish's git completion does not pass custom commands on
# (fish 3.6 looks them up under the wrong name); fish drops the duplicates
# where it does.
complete -c git -n '__fish_seen_subcommand_from codex' -f -a '(__git_codex_complete)'
