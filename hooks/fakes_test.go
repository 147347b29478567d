package hooks

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/git-codex/git-codex/gitstore"
)

// Unit tests of install, uninstall and status against a fake of the small
// interfaces in repo.go: configuration in maps, directories in a temp dir.
// The real-git tests are in install_test.go.

// fakeRepo keeps git configuration in memory, per scope.
type fakeRepo struct {
	dir           string              // holds hooks/ and the install record
	global, local map[string][]string // key → values, in order
}

func newFakeRepo(t *testing.T) *fakeRepo {
	return &fakeRepo{dir: t.TempDir(), global: map[string][]string{}, local: map[string][]string{}}
}

func (f *fakeRepo) RefPrefix() string { return gitstore.DefaultRefPrefix }

func (f *fakeRepo) HooksPath(ctx context.Context) (string, error) {
	return filepath.Join(f.dir, "hooks"), nil
}

func (f *fakeRepo) CommonDir() string { return f.dir }
func (f *fakeRepo) WorkTree() string  { return f.dir }

func (f *fakeRepo) values(key string, opt gitstore.ConfigGetOptions) []string {
	vs := append([]string(nil), f.local[key]...)
	if !opt.Local {
		vs = append(append([]string(nil), f.global[key]...), vs...)
	}
	if opt.Bool {
		for i, v := range vs {
			switch strings.ToLower(v) {
			case "yes", "on", "1", "true":
				vs[i] = "true"
			default:
				vs[i] = "false"
			}
		}
	}
	return vs
}

func (f *fakeRepo) ConfigGet(ctx context.Context, key string, opt gitstore.ConfigGetOptions) (string, bool, error) {
	vs := f.values(key, opt)
	if len(vs) == 0 {
		return "", false, nil
	}
	return vs[len(vs)-1], true, nil
}

func (f *fakeRepo) ConfigGetAll(ctx context.Context, key string, opt gitstore.ConfigGetOptions) ([]string, error) {
	return f.values(key, opt), nil
}

func (f *fakeRepo) SetConfig(ctx context.Context, key, value string) error {
	f.local[key] = []string{value}
	return nil
}

func (f *fakeRepo) AddConfig(ctx context.Context, key, value string) error {
	if !slices.Contains(f.values(key, gitstore.ConfigGetOptions{}), value) {
		f.local[key] = append(f.local[key], value)
	}
	return nil
}

func (f *fakeRepo) UnsetConfig(ctx context.Context, key string) error {
	delete(f.local, key)
	return nil
}

func (f *fakeRepo) UnsetConfigValue(ctx context.Context, key, value string) (bool, error) {
	kept := slices.DeleteFunc(append([]string(nil), f.local[key]...), func(v string) bool { return v == value })
	removed := len(kept) < len(f.local[key])
	if len(kept) == 0 {
		delete(f.local, key)
	} else {
		f.local[key] = kept
	}
	return removed, nil
}

// actions lists "action target" per change.
func actions(res InstallResult) []string {
	var out []string
	for _, c := range res.Changes {
		out = append(out, c.Action+" "+c.Target)
	}
	return out
}

// Install, install again, uninstall: the second run changes nothing, and
// uninstall puts back exactly what was there (a user's own hook and value
// included), keeping what the user changed since.
func TestInstallRoundTripWithFakes(t *testing.T) {
	ctx := context.Background()
	f := newFakeRepo(t)
	hook := filepath.Join(f.dir, "hooks", "pre-push")
	if err := os.MkdirAll(filepath.Dir(hook), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(hook, []byte("#!/bin/sh\necho mine\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	f.local[rewriteModeKey] = []string{"concatenate"}
	f.global[rewriteAmend] = []string{"yes"} // already true, in another scope
	f.local[rewriteRefKey] = []string{"refs/notes/commits"}

	res, err := install(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"installed hooks/pre-push", "added notes.rewriteRef", "set notes.rewriteMode",
		"unchanged notes.rewrite.amend", "set notes.rewrite.rebase"}
	if got := actions(res); !slices.Equal(got, want) {
		t.Errorf("first install: %q\nwant %q", got, want)
	}
	if b, _ := os.ReadFile(hook); string(b) != PrePushScript {
		t.Errorf("the hook is not git codex's")
	}
	if b, _ := os.ReadFile(hook + ChainedSuffix); string(b) != "#!/bin/sh\necho mine\n" {
		t.Errorf("the user's hook was not kept: %q", b)
	}
	if !slices.Equal(f.local[rewriteRefKey], []string{"refs/notes/commits", "refs/notes/codex/*"}) || f.local[rewriteModeKey][0] != "cat_sort_uniq" {
		t.Errorf("config after install: %v", f.local)
	}
	st, err := status(ctx, f)
	if err != nil || !st.Installed() {
		t.Errorf("status after install = %+v, %v", st, err)
	}

	again, err := install(ctx, f)
	if err != nil || again.Changed() {
		t.Errorf("second install changed %q (%v)", actions(again), err)
	}

	f.local[rewriteRebase] = []string{"false"} // the user's own choice since
	undo, err := uninstall(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	want = []string{"removed hooks/pre-push", "restored hooks/pre-push",
		"kept notes.rewrite.rebase", "restored notes.rewriteMode", "removed notes.rewriteRef"}
	if got := actions(undo); !slices.Equal(got, want) {
		t.Errorf("uninstall: %q\nwant %q", got, want)
	}
	if !slices.Equal(f.local[rewriteRefKey], []string{"refs/notes/commits"}) || f.local[rewriteModeKey][0] != "concatenate" ||
		f.local[rewriteRebase][0] != "false" {
		t.Errorf("config after uninstall: %v", f.local)
	}
	if b, _ := os.ReadFile(hook); string(b) != "#!/bin/sh\necho mine\n" {
		t.Errorf("the user's hook is not back: %q", b)
	}
	if _, err := os.Stat(filepath.Join(f.dir, stateFile)); !os.IsNotExist(err) {
		t.Errorf("the install record is still there: %v", err)
	}
	st, err = status(ctx, f)
	if err != nil || st.HookInstalled || len(st.MissingConfig) != 3 {
		t.Errorf("status after uninstall = %+v, %v", st, err)
	}
}
