package gitstore

import (
	"context"
	"reflect"
	"sort"
	"testing"
)

// Published answers, of the candidates, which a push of tips publishes to
// a remote that has bases — the same answer as listing every commit the
// push sends (git rev-list tips ^bases) and keeping the candidates in it.
func TestPublished(t *testing.T) {
	dir := newRepo(t) // one commit on main
	commit := func(msg string) string {
		git(t, dir, "commit", "-q", "--allow-empty", "-m", msg)
		return git(t, dir, "rev-parse", "HEAD")
	}
	root := git(t, dir, "rev-parse", "HEAD")
	a := commit("a")
	b := commit("b") // main: root-a-b, the remote has b
	git(t, dir, "checkout", "-q", "-b", "feature")
	c := commit("c")
	d := commit("d") // feature: b-c-d, pushed
	git(t, dir, "checkout", "-q", "-b", "side", a)
	e := commit("e") // side: a-e, not pushed
	missing := "0123456789abcdef0123456789abcdef01234567"
	r := openRepo(t, dir)
	tests := []struct {
		name                    string
		candidates, tips, bases []string
		want                    []string
	}{
		{"a new branch over what the remote has", []string{root, a, b, c, d, e}, []string{d}, []string{b}, []string{c, d}},
		{"an empty remote", []string{root, b, e}, []string{d}, nil, []string{root, b}},
		{"nothing new", []string{a, b}, []string{b}, []string{b}, nil},
		{"a candidate git does not have", []string{missing, c}, []string{d}, []string{b}, []string{c}},
		{"a base git does not have", []string{c}, []string{d}, []string{missing, b}, []string{c}},
		{"no candidates", nil, []string{d}, []string{b}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := r.Published(context.Background(), tt.candidates, tt.tips, tt.bases)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for id := range got {
				ids = append(ids, id)
			}
			sort.Strings(ids)
			want := append([]string(nil), tt.want...)
			sort.Strings(want)
			if len(ids) == 0 {
				ids = nil
			}
			if !reflect.DeepEqual(ids, want) {
				t.Errorf("Published = %v, want %v", ids, want)
			}
		})
	}
}
