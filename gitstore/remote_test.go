package gitstore

import (
	"errors"
	"fmt"
	"testing"
)

func TestParsePorcelain(t *testing.T) {
	out := "To ../r.git\n" +
		"*\t0123:refs/notes/codex/a\t[new reference]\n" +
		"!\t4567:refs/notes/codex/b\t[rejected] (fetch first)\n" +
		"!\t89ab:refs/notes/codex/c\t[remote rejected] (hook declined)\n" +
		"=\tcdef:refs/notes/codex/d\t[up to date]\n" +
		"Done\n"
	tests := []struct {
		ref         string
		ok          bool
		wantPresent bool
	}{
		{"refs/notes/codex/a", true, true},
		{"refs/notes/codex/b", false, true},
		{"refs/notes/codex/c", false, true},
		{"refs/notes/codex/d", true, true},
		{"refs/notes/codex/e", false, false},
	}
	st := parsePorcelain([]byte(out))
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			s, found := st[tt.ref]
			if found != tt.wantPresent || s.OK() != tt.ok {
				t.Errorf("status %+v found %v: ok %v; want found %v ok %v", s, found, s.OK(), tt.wantPresent, tt.ok)
			}
		})
	}
}

// Which refusals are a lost race (fetch, merge and push again) and which
// are real: the porcelain lines git 2.39 prints, through git daemon's
// receive-pack too.
func TestPushStatusLost(t *testing.T) {
	tests := []struct {
		line string
		lost bool
	}{
		{"*\tx:refs/notes/codex/a\t[new reference]", false},
		{"=\tx:refs/notes/codex/a\t[up to date]", false},
		{"!\tx:refs/notes/codex/a\t[rejected] (fetch first)", true},
		{"!\tx:refs/notes/codex/a\t[rejected] (non-fast-forward)", true},
		{"!\tx:refs/notes/codex/a\t[rejected] (stale info)", true},
		{"!\tx:refs/notes/codex/a\t[remote rejected] (failed to update ref)", true},
		{"!\tx:refs/notes/codex/a\t[remote rejected] (cannot lock ref 'refs/notes/codex/a': is at 0123 but expected 4567)", true},
		{"!\tx:refs/notes/codex/a\t[remote rejected] (failed to lock)", true},
		{"!\tx:refs/notes/codex/a\t[remote rejected] (incorrect old value provided)", true},
		{"!\tx:refs/notes/codex/a\t[remote rejected] (hook declined)", false},
		{"!\tx:refs/notes/codex/a\t[remote rejected] (pre-receive hook declined)", false},
		{"!\tx:refs/notes/codex/a\t[remote rejected] (deny updating a hidden ref)", false},
		{"!\tx:refs/notes/codex/a\t[remote rejected] (missing necessary objects)", false},
		{"!\tx:refs/notes/codex/a\t[remote failure] (remote failed to report status)", false},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			st, ok := parsePorcelain([]byte(tt.line + "\n"))["refs/notes/codex/a"]
			if !ok {
				t.Fatal("line not parsed")
			}
			if st.Lost() != tt.lost || (tt.lost && st.OK()) {
				t.Errorf("%+v: Lost %v OK %v, want Lost %v", st, st.Lost(), st.OK(), tt.lost)
			}
		})
	}
}

// What git says when an exchange fails is told apart by errors.Is.
func TestGitErrorKinds(t *testing.T) {
	tests := []struct {
		stderr string
		want   error
	}{
		{"fatal: 'nope' does not appear to be a git repository\nfatal: Could not read from remote repository.\n", ErrRemoteMissing},
		{"git@host: Permission denied (publickey).\nfatal: Could not read from remote repository.\n", ErrRemoteAccess},
		{"fatal: unable to access 'https://h/r.git/': The requested URL returned error: 403\n", ErrRemoteAccess},
		{"fatal: unable to connect to 127.0.0.1:\n127.0.0.1[0: 127.0.0.1]: errno=Connection refused\n", ErrRemoteUnreachable},
		{"fatal: unable to access 'https://nowhere/': Could not resolve host: nowhere\n", ErrRemoteUnreachable},
		{"fatal: couldn't find remote ref refs/notes/codex/t\n", ErrRemoteRefMissing},
		{"error: cannot lock ref 'refs/notes/remotes/origin/codex/t': Unable to create '/r/.git/refs/notes/remotes/origin/codex/t.lock': File exists.\n", ErrRefBusy},
	}
	kinds := []error{ErrRemoteMissing, ErrRemoteRefMissing, ErrRemoteAccess, ErrRemoteUnreachable, ErrRefBusy}
	for _, tt := range tests {
		err := fmt.Errorf("fetch notes: %w", &GitError{Verb: "fetch", ExitCode: 128, Stderr: tt.stderr})
		for _, k := range kinds {
			if got := errors.Is(err, k); got != (k == tt.want) {
				t.Errorf("%q: errors.Is(%v) = %v", tt.stderr, k, got)
			}
		}
	}
}
