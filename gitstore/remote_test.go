package gitstore

import "testing"

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
