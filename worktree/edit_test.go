package worktree_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/git-codex/git-codex/internal/gittest"
	"github.com/git-codex/git-codex/worktree"
)

// editTree is a work tree with every kind of path an edit must change or
// refuse, beside an "outside" directory holding a secret. It returns the
// base directory (holding both) and the root.
func editTree(t *testing.T) (base, root string) {
	t.Helper()
	gittest.Hermetic(t)
	base = t.TempDir()
	root = filepath.Join(base, "repo")
	outside := filepath.Join(base, "outside")
	files := map[string]string{
		"README.md":             "# Demo\n\nA demo project.\n",
		"src/main.go":           "package main\n\nfunc main() {\n\tprintln(\"hello\")\n}\n",
		"src/util/strings.go":   "package util\n\nfunc Hello() string { return \"hello\" }\n",
		"crlf.txt":              "one\r\ntwo\r\n",
		"empty.txt":             "",
		".env":                  "NOTE " + secret + "\n",
		"config/server.pem":     "-----BEGIN CERTIFICATE-----\n",
		"id_rsa":                "x\n",
		".aws/credentials":      "[default]\n",
		".git/config":           "[core]\n",
		"vendored/.git":         "gitdir: ../.git/modules/vendored\n",
		"bin/tool.bin":          "\x7fELF\x00\x00\x00hello",
		"latin1.txt":            "caf\xe9 hello\n",
		"../outside/secret.txt": "note " + secret + "\n",
		"../outside/dir/in.txt": "outside dir\n",
	}
	for name, body := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "run.sh"), []byte("#!/bin/sh\necho hi\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	links := map[string]string{
		"link-in.go":   "src/main.go",
		"link-dir-in":  "src/util",
		"link-out.txt": filepath.Join(outside, "secret.txt"),
		"link-dir-out": filepath.Join(outside, "dir"),
		"link-to-git":  ".git/config",
		"gitdir":       ".git",
		"dangling":     "does-not-exist",
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(root, filepath.FromSlash(name))); err != nil {
			t.Skipf("symlinks unsupported: %v", err)
		}
	}
	if err := os.Link(filepath.Join(outside, "secret.txt"), filepath.Join(root, "hardlink.txt")); err != nil {
		t.Skipf("hard links unsupported: %v", err)
	}
	special := filepath.Join(root, "special")
	if err := os.MkdirAll(special, 0o755); err != nil {
		t.Fatal(err)
	}
	mkfifo(t, filepath.Join(special, "fifo"))
	l, err := net.Listen("unix", filepath.Join(special, "sock"))
	if err != nil {
		t.Skipf("unix sockets unsupported: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return base, root
}

// snapshot describes every name under dir: the content of regular files,
// the target of symlinks, the kind of the rest, and permission bits.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			out[rel] = "symlink " + target
		case fi.Mode().IsRegular():
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			out[rel] = fmt.Sprintf("%v %q", fi.Mode().Perm(), data)
		default:
			out[rel] = fi.Mode().Type().String()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// sameTree fails the test when two snapshots differ, naming the paths.
func sameTree(t *testing.T, before, after map[string]string) {
	t.Helper()
	for p, v := range before {
		if after[p] != v {
			t.Errorf("%s changed: %s → %s", p, v, after[p])
		}
	}
	for p, v := range after {
		if _, ok := before[p]; !ok {
			t.Errorf("%s appeared: %s", p, v)
		}
	}
}

func newEditor(t *testing.T, root string, opts worktree.EditOptions) *worktree.Editor {
	t.Helper()
	e, err := worktree.NewEditor(root, opts)
	if err != nil {
		t.Fatalf("NewEditor: %v", err)
	}
	return e
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestEditApplies applies one operation of each kind and checks the work
// tree, the change (blob ids against git's own, the diff, the modes) and
// the output for the model.
func TestEditApplies(t *testing.T) {
	tests := []struct {
		name     string
		op       worktree.Operation
		path     string // where the change lands (resolved)
		want     string // the file afterwards; "" with gone
		gone     bool
		before   string // the file before; "" with created
		created  bool
		diff     []string // in the change's diff, in order
		output   string
		wantMode fs.FileMode
	}{
		{
			name:   "update keeps CRLF",
			op:     worktree.Operation{Type: worktree.OpUpdate, Path: "crlf.txt", Diff: " one\n-two\n+TWO\n+three\n"},
			path:   "crlf.txt",
			before: "one\r\ntwo\r\n", want: "one\r\nTWO\r\nthree\r\n",
			diff:     []string{"--- a/crlf.txt\n+++ b/crlf.txt\n", "-two\r\n", "+TWO\r\n", "+three\r\n"},
			output:   "updated crlf.txt (+2 -1)\n",
			wantMode: 0o644,
		},
		{
			name:   "update keeps the executable bit",
			op:     worktree.Operation{Type: worktree.OpUpdate, Path: "run.sh", Diff: "@@ #!/bin/sh\n-echo hi\n+echo hello\n"},
			path:   "run.sh",
			before: "#!/bin/sh\necho hi\n", want: "#!/bin/sh\necho hello\n",
			diff:     []string{"@@ -1,2 +1,2 @@\n #!/bin/sh\n-echo hi\n+echo hello\n"},
			output:   "updated run.sh (+1 -1)\n",
			wantMode: 0o755,
		},
		{
			name:    "create makes the directories",
			op:      worktree.Operation{Type: worktree.OpCreate, Path: "pkg/deep/new.go", Diff: "+package deep\n+\n+const X = 1\n"},
			path:    "pkg/deep/new.go",
			created: true, want: "package deep\n\nconst X = 1\n",
			diff:     []string{"--- /dev/null\n+++ b/pkg/deep/new.go\n", "+package deep\n"},
			output:   "created pkg/deep/new.go (3 lines)\n",
			wantMode: 0o644,
		},
		{
			name:   "delete",
			op:     worktree.Operation{Type: worktree.OpDelete, Path: "README.md"},
			path:   "README.md",
			before: "# Demo\n\nA demo project.\n", gone: true,
			diff:   []string{"--- a/README.md\n+++ /dev/null\n", "-# Demo\n"},
			output: "deleted README.md (3 lines)\n",
		},
		{
			name:   "delete a binary file",
			op:     worktree.Operation{Type: worktree.OpDelete, Path: "bin/tool.bin"},
			path:   "bin/tool.bin",
			before: "\x7fELF\x00\x00\x00hello", gone: true,
			diff:   []string{"Binary files a/bin/tool.bin and /dev/null differ\n"},
			output: "deleted bin/tool.bin (binary)\n",
		},
		{
			name:   "update an empty file",
			op:     worktree.Operation{Type: worktree.OpUpdate, Path: "empty.txt", Diff: "@@\n+first\n"},
			path:   "empty.txt",
			before: "", want: "first\n",
			diff:     []string{"--- a/empty.txt\n+++ b/empty.txt\n", "+first\n"},
			output:   "updated empty.txt (+1 -0)\n",
			wantMode: 0o644,
		},
		{
			name:   "through a symlinked directory inside the tree: the change is on the real path",
			op:     worktree.Operation{Type: worktree.OpUpdate, Path: "link-dir-in/strings.go", Diff: "-func Hello() string { return \"hello\" }\n+func Hello() string { return \"hi\" }\n"},
			path:   "src/util/strings.go",
			before: "package util\n\nfunc Hello() string { return \"hello\" }\n", want: "package util\n\nfunc Hello() string { return \"hi\" }\n",
			diff:     []string{"--- a/src/util/strings.go\n"},
			output:   "updated src/util/strings.go (+1 -1)\n",
			wantMode: 0o644,
		},
		{
			name:   "fuzzy match is reported",
			op:     worktree.Operation{Type: worktree.OpUpdate, Path: "src/main.go", Diff: "@@ func main() {\n-    println(\"hello\")\n+\tprintln(\"bye\")\n"},
			path:   "src/main.go",
			before: "package main\n\nfunc main() {\n\tprintln(\"hello\")\n}\n", want: "package main\n\nfunc main() {\n\tprintln(\"bye\")\n}\n",
			output:   "updated src/main.go (+1 -1); 1 of its hunks or anchors matched only when whitespace at the ends of lines was ignored\n",
			wantMode: 0o644,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, root := editTree(t)
			e := newEditor(t, root, worktree.EditOptions{})
			p, err := e.Prepare(context.Background(), tt.op)
			if err != nil {
				t.Fatalf("Prepare: %v", err)
			}
			if len(p.Changes) != 1 {
				t.Fatalf("%d changes, want 1", len(p.Changes))
			}
			c := p.Changes[0]
			if c.Path != tt.path || c.Op != tt.op.Type {
				t.Errorf("change %s %s, want %s %s", c.Op, c.Path, tt.op.Type, tt.path)
			}
			file := filepath.Join(root, filepath.FromSlash(tt.path))
			if !tt.created && readFile(t, file) != tt.before {
				t.Fatalf("Prepare wrote the file")
			}
			if err := p.Commit(context.Background()); err != nil {
				t.Fatalf("Commit: %v", err)
			}
			if tt.gone {
				if _, err := os.Lstat(file); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("%s still there: %v", tt.path, err)
				}
			} else {
				if got := readFile(t, file); got != tt.want {
					t.Errorf("file = %q, want %q", got, tt.want)
				}
				fi, _ := os.Stat(file)
				if fi.Mode().Perm() != tt.wantMode || c.AfterMode != tt.wantMode {
					t.Errorf("mode on disk %v, in the change %v, want %v", fi.Mode().Perm(), c.AfterMode, tt.wantMode)
				}
			}
			wantBefore, wantAfter := "", ""
			if !tt.created {
				wantBefore = blobID(t, tt.before, "sha1")
			}
			if !tt.gone {
				wantAfter = blobID(t, tt.want, "sha1")
			}
			if c.BeforeBlob != wantBefore || c.AfterBlob != wantAfter {
				t.Errorf("blobs %q → %q, want %q → %q (git hash-object)", c.BeforeBlob, c.AfterBlob, wantBefore, wantAfter)
			}
			if (c.Before == nil) != tt.created || (c.After == nil) != tt.gone {
				t.Errorf("Before nil %v, After nil %v", c.Before == nil, c.After == nil)
			}
			assertInOrder(t, c.Diff, tt.diff, nil)
			if got := p.Output(); got != tt.output {
				t.Errorf("Output = %q, want %q", got, tt.output)
			}
			leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(file), ".*.codex-*.tmp"))
			if len(leftovers) > 0 {
				t.Errorf("temporary files left: %v", leftovers)
			}
			if err := p.Commit(context.Background()); err == nil {
				t.Errorf("a second Commit succeeded")
			}
		})
	}
}

// TestEditRefusals runs every case an edit must refuse and checks the
// error, its message for the model, and that nothing changed anywhere
// (inside the work tree or out).
func TestEditRefusals(t *testing.T) {
	up := func(p, diff string) []worktree.Operation {
		return []worktree.Operation{{Type: worktree.OpUpdate, Path: p, Diff: diff}}
	}
	create := func(p string) []worktree.Operation {
		return []worktree.Operation{{Type: worktree.OpCreate, Path: p, Diff: "+x\n"}}
	}
	del := func(p string) []worktree.Operation {
		return []worktree.Operation{{Type: worktree.OpDelete, Path: p}}
	}
	anyDiff := "-x\n+y\n"
	tests := []struct {
		name    string
		ops     []worktree.Operation
		opts    worktree.EditOptions
		seen    func(s *worktree.Seen, root string) // what the model saw, for stale cases
		wantErr error
		want    []string // in the message, in order
	}{
		{"escape: update", up("../outside/secret.txt", anyDiff), worktree.EditOptions{}, nil, worktree.ErrRefused, []string{"update_file ../outside/secret.txt: refused", "leads out of the work tree"}},
		{"escape: create", create("src/../../outside/new.txt"), worktree.EditOptions{}, nil, worktree.ErrRefused, []string{"leads out of the work tree"}},
		{"escape: delete", del("../outside/secret.txt"), worktree.EditOptions{}, nil, worktree.ErrRefused, []string{"leads out of the work tree"}},
		{"absolute path", create("/tmp/x.txt"), worktree.EditOptions{}, nil, worktree.ErrRefused, []string{"absolute"}},
		{"home path", create("~/.bashrc"), worktree.EditOptions{}, nil, worktree.ErrRefused, []string{"absolute"}},
		{"the root itself", del("."), worktree.EditOptions{}, nil, worktree.ErrRefused, []string{"the work tree itself"}},
		{".git: update", up(".git/config", anyDiff), worktree.EditOptions{}, nil, worktree.ErrRefused, []string{".git"}},
		{".git: create a hook", create(".git/hooks/pre-commit"), worktree.EditOptions{}, nil, worktree.ErrRefused, []string{".git"}},
		{".git: upper case", create(".GIT/hooks/x"), worktree.EditOptions{}, nil, worktree.ErrRefused, []string{".git"}},
		{".git file of a submodule", up("vendored/.git", anyDiff), worktree.EditOptions{}, nil, worktree.ErrRefused, []string{".git"}},
		{".git through a symlinked directory", create("gitdir/hooks/post-checkout"), worktree.EditOptions{}, nil, worktree.ErrRefused, []string{"resolves to a denied path", ".git"}},
		{"secret: update .env", up(".env", anyDiff), worktree.EditOptions{}, nil, worktree.ErrRefused, []string{"deny list"}},
		{"secret: create .env.local", create(".env.local"), worktree.EditOptions{}, nil, worktree.ErrRefused, []string{"deny list"}},
		{"secret: delete id_rsa", del("id_rsa"), worktree.EditOptions{}, nil, worktree.ErrRefused, []string{"deny list"}},
		{"secret: pem", up("config/server.pem", anyDiff), worktree.EditOptions{}, nil, worktree.ErrRefused, []string{"deny list"}},
		{"secret: .aws directory", create(".aws/config"), worktree.EditOptions{}, nil, worktree.ErrRefused, []string{"deny list"}},
		{"symlink: update through it", up("link-in.go", anyDiff), worktree.EditOptions{}, nil, worktree.ErrRefused, []string{"link-in.go is a symbolic link", "change the file it points to"}},
		{"symlink: delete it", del("link-in.go"), worktree.EditOptions{}, nil, worktree.ErrRefused, []string{"symbolic link"}},
		{"symlink out: update", up("link-out.txt", anyDiff), worktree.EditOptions{}, nil, worktree.ErrRefused, []string{"symbolic link"}},
		{"symlink into .git: update", up("link-to-git", anyDiff), worktree.EditOptions{}, nil, worktree.ErrRefused, []string{"symbolic link"}},
		{"dangling symlink: create over it", create("dangling"), worktree.EditOptions{}, nil, worktree.ErrRefused, []string{"symbolic link"}},
		{"symlinked directory out: create", create("link-dir-out/new.txt"), worktree.EditOptions{}, nil, worktree.ErrRefused, []string{"leads out of the work tree through a symbolic link"}},
		{"symlinked directory out: update", up("link-dir-out/in.txt", anyDiff), worktree.EditOptions{}, nil, worktree.ErrRefused, []string{"leads out of the work tree"}},
		{"FIFO: update", up("special/fifo", anyDiff), worktree.EditOptions{}, nil, worktree.ErrRefused, []string{"special/fifo is a named pipe, not a regular file"}},
		{"FIFO: delete", del("special/fifo"), worktree.EditOptions{}, nil, worktree.ErrRefused, []string{"a named pipe"}},
		{"FIFO: create over it", create("special/fifo"), worktree.EditOptions{}, nil, worktree.ErrRefused, []string{"a named pipe"}},
		{"socket: update", up("special/sock", anyDiff), worktree.EditOptions{}, nil, worktree.ErrRefused, []string{"a socket"}},
		{"hard link to a file outside: update", up("hardlink.txt", anyDiff), worktree.EditOptions{}, nil, worktree.ErrRefused, []string{"hard links", "git does not track it"}},
		{"hard link to a file outside: delete", del("hardlink.txt"), worktree.EditOptions{}, nil, worktree.ErrRefused, []string{"hard links"}},
		{"directory: update", up("src", anyDiff), worktree.EditOptions{}, nil, worktree.ErrRefused, []string{"src is a directory"}},
		{"directory: delete", del("src/util"), worktree.EditOptions{}, nil, worktree.ErrRefused, []string{"a directory"}},
		{"a file on the way", create("README.md/x.txt"), worktree.EditOptions{}, nil, worktree.ErrRefused, []string{"not a directory"}},
		{"binary file: update", up("bin/tool.bin", anyDiff), worktree.EditOptions{}, nil, worktree.ErrRefused, []string{"not UTF-8 text"}},
		{"non-UTF-8 file: update", up("latin1.txt", anyDiff), worktree.EditOptions{}, nil, worktree.ErrRefused, []string{"not UTF-8 text"}},
		{"over the size cap: update", up("README.md", "-# Demo\n+# Big\n"), worktree.EditOptions{MaxFileBytes: 10}, nil, worktree.ErrRefused, []string{"README.md is 24 bytes, over the 10-byte cap"}},
		{"over the size cap: create", []worktree.Operation{{Type: worktree.OpCreate, Path: "big.txt", Diff: "+" + strings.Repeat("x", 40) + "\n"}}, worktree.EditOptions{MaxFileBytes: 10}, nil, worktree.ErrRefused, []string{"would be 41 bytes"}},
		{"create over an existing file", create("README.md"), worktree.EditOptions{}, nil, worktree.ErrExists, []string{"README.md exists; change it with update_file"}},
		{"update a missing file", up("nope.go", anyDiff), worktree.EditOptions{}, nil, worktree.ErrNotFound, []string{"nope.go"}},
		{"delete a missing file", del("nope.go"), worktree.EditOptions{}, nil, worktree.ErrNotFound, []string{"nope.go"}},
		{"update in a missing directory", up("nodir/x.go", anyDiff), worktree.EditOptions{}, nil, worktree.ErrNotFound, []string{"nodir/x.go"}},
		{"hunk does not match", up("src/main.go", "@@ func main() {\n-\tprintln(\"bye\")\n+\tprintln(\"hi\")\n"), worktree.EditOptions{}, nil, worktree.ErrPatchMismatch,
			[]string{`update_file src/main.go: hunk 1 (diff line 2): its line "\tprintln(\"bye\")" (diff line 2) is not in the file below its anchor "func main() {" at line 3`}},
		{"malformed diff", up("src/main.go", "@@ -1,3 +1,3 @@\n-a\n+b\n"), worktree.EditOptions{}, nil, worktree.ErrMalformedPatch, []string{"unified diff hunk header"}},
		{"unknown operation", []worktree.Operation{{Type: "rename_file", Path: "a"}}, worktree.EditOptions{}, nil, worktree.ErrMalformedPatch, []string{`unknown operation "rename_file"`}},
		{"no path", []worktree.Operation{{Type: worktree.OpDelete}}, worktree.EditOptions{}, nil, worktree.ErrMalformedPatch, []string{"path is required"}},
		{"partial patch: the second hunk fails, the first file is not changed",
			[]worktree.Operation{
				{Type: worktree.OpUpdate, Path: "README.md", Diff: "-# Demo\n+# Demo project\n"},
				{Type: worktree.OpCreate, Path: "new/file.txt", Diff: "+new\n"},
				{Type: worktree.OpUpdate, Path: "src/main.go", Diff: "@@ func main() {\n-\tprintln(\"hello\")\n+\tprintln(\"hi\")\n@@ func other() {\n-\treturn\n+\treturn nil\n"},
			}, worktree.EditOptions{}, nil, worktree.ErrPatchMismatch,
			[]string{`operation 3 of 3: update_file src/main.go: hunk 2 (diff line 4): anchor "func other() {" is not a line of the file below line 4, where hunk 1 ended`}},
		{"stale: changed since the model read it",
			up("src/main.go", "-\tprintln(\"hello\")\n+\tprintln(\"hi\")\n"), worktree.EditOptions{},
			func(s *worktree.Seen, root string) {
				readThroughTools(t, s, root, "src/main.go")
				os.WriteFile(filepath.Join(root, "src/main.go"), []byte("package main\n\nfunc main() {\n\tprintln(\"hello\")\n\tprintln(\"user's line\")\n}\n"), 0o644)
			}, worktree.ErrStale, []string{"src/main.go changed since you read it in turn 1 (blob", "read it again and redo the patch"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base, root := editTree(t)
			opts := tt.opts
			if tt.seen != nil {
				s, err := worktree.NewSeen(worktree.SHA1, 1, nil, nil)
				if err != nil {
					t.Fatal(err)
				}
				tt.seen(s, root)
				opts.Seen = s
			}
			before := snapshot(t, base)
			e := newEditor(t, root, opts)
			p, err := e.Prepare(context.Background(), tt.ops...)
			if err == nil {
				t.Fatalf("Prepare succeeded: %s", p.Output())
			}
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("error %q does not wrap %v", err, tt.wantErr)
			}
			assertInOrder(t, err.Error(), tt.want, nil)
			if strings.Contains(err.Error(), secret) {
				t.Errorf("the error leaks the secret: %q", err)
			}
			sameTree(t, before, snapshot(t, base))
			o := worktree.Failed(err)
			if o.Status != worktree.StatusFailed || !strings.HasPrefix(o.Output, "failed, nothing was changed: ") {
				t.Errorf("Failed(err) = %+v", o)
			}
		})
	}
}

// readThroughTools reads a file with read_file, with s recording it.
func readThroughTools(t *testing.T, s *worktree.Seen, root, p string) string {
	t.Helper()
	tools := newTools(t, root, worktree.ToolOptions{Seen: s})
	out, err := tools.Call(context.Background(), worktree.ToolReadFile, args(map[string]any{"path": p}))
	if err != nil {
		t.Fatalf("read_file %s: %v", p, err)
	}
	return out
}

// TestEditDevice: a device file is refused like a FIFO (needs privilege to
// make one).
func TestEditDevice(t *testing.T) {
	base, root := editTree(t)
	if !mkdev(filepath.Join(root, "special", "zero")) {
		t.Skip("making a device file needs privilege")
	}
	before := snapshot(t, base)
	e := newEditor(t, root, worktree.EditOptions{})
	for _, op := range []worktree.Operation{
		{Type: worktree.OpUpdate, Path: "special/zero", Diff: "-x\n+y\n"},
		{Type: worktree.OpDelete, Path: "special/zero"},
	} {
		_, err := e.Prepare(context.Background(), op)
		if !errors.Is(err, worktree.ErrRefused) || !strings.Contains(err.Error(), "a device, not a regular file") {
			t.Errorf("%s: %v, want a refusal naming the device", op.Type, err)
		}
	}
	sameTree(t, before, snapshot(t, base))
}

// TestEditTrackedHardLink: a hard-linked file git tracks with that content
// is patched; the patch replaces its name, so the other link keeps the old
// content.
func TestEditTrackedHardLink(t *testing.T) {
	_, root := editTree(t)
	body := "tracked\n"
	if err := os.WriteFile(filepath.Join(root, "a.txt"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(filepath.Join(root, "a.txt"), filepath.Join(root, "b.txt")); err != nil {
		t.Fatal(err)
	}
	id := blobID(t, body, "sha1")
	tracked := func(_ context.Context, rel string) (string, bool) { return id, rel == "b.txt" }
	e := newEditor(t, root, worktree.EditOptions{Tracked: tracked})
	if _, err := e.Prepare(context.Background(), worktree.Operation{Type: worktree.OpUpdate, Path: "a.txt", Diff: "-tracked\n+changed\n"}); !errors.Is(err, worktree.ErrRefused) {
		t.Errorf("untracked hard link: %v, want a refusal", err)
	}
	p, err := e.Prepare(context.Background(), worktree.Operation{Type: worktree.OpUpdate, Path: "b.txt", Diff: "-tracked\n+changed\n"})
	if err != nil {
		t.Fatalf("tracked hard link: %v", err)
	}
	if err := p.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(root, "b.txt")); got != "changed\n" {
		t.Errorf("b.txt = %q", got)
	}
	if got := readFile(t, filepath.Join(root, "a.txt")); got != body {
		t.Errorf("a.txt = %q: written through the link", got)
	}
}

// TestEditSequence: several operations on one file in one patch apply in
// order, and the patch commits them as one change of the file.
func TestEditSequence(t *testing.T) {
	_, root := editTree(t)
	e := newEditor(t, root, worktree.EditOptions{})
	p, err := e.Prepare(context.Background(),
		worktree.Operation{Type: worktree.OpCreate, Path: "notes/todo.md", Diff: "+# Todo\n+- one\n"},
		worktree.Operation{Type: worktree.OpUpdate, Path: "notes/todo.md", Diff: " - one\n+- two\n"},
		worktree.Operation{Type: worktree.OpUpdate, Path: "README.md", Diff: "-A demo project.\n+A demo project, patched.\n"},
	)
	if err != nil {
		t.Fatal(err)
	}
	if p.Changes[1].BeforeBlob != p.Changes[0].AfterBlob {
		t.Errorf("the second change does not start from the first one's result")
	}
	if err := p.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(root, "notes/todo.md")); got != "# Todo\n- one\n- two\n" {
		t.Errorf("todo.md = %q", got)
	}
	want := "created notes/todo.md (2 lines)\nupdated notes/todo.md (+1 -0)\nupdated README.md (+1 -1)\n"
	if got := p.Output(); got != want {
		t.Errorf("Output = %q, want %q", got, want)
	}
}

// TestCommitRollsBack fails a commit at each of its files in turn: the
// work tree is left exactly as it was, with no temporary file and no
// directory the patch made.
func TestCommitRollsBack(t *testing.T) {
	ops := []worktree.Operation{
		{Type: worktree.OpUpdate, Path: "README.md", Diff: "-A demo project.\n+A patched project.\n"},
		{Type: worktree.OpCreate, Path: "new/dir/file.txt", Diff: "+new\n"},
		{Type: worktree.OpDelete, Path: "crlf.txt"},
		{Type: worktree.OpUpdate, Path: "run.sh", Diff: "-echo hi\n+echo bye\n"},
	}
	for _, failAt := range []string{"README.md", "new/dir/file.txt", "crlf.txt", "run.sh"} {
		t.Run("fail at "+failAt, func(t *testing.T) {
			base, root := editTree(t)
			before := snapshot(t, base)
			e := newEditor(t, root, worktree.EditOptions{})
			p, err := e.Prepare(context.Background(), ops...)
			if err != nil {
				t.Fatal(err)
			}
			injected := errors.New("disk full (injected)")
			worktree.SetCommitFault(t, func(path string) error {
				if path == failAt {
					return injected
				}
				return nil
			})
			if err := p.Commit(context.Background()); !errors.Is(err, injected) {
				t.Fatalf("Commit: %v, want the injected failure", err)
			}
			sameTree(t, before, snapshot(t, base))
		})
	}
}

// TestCommitSeesChangesSincePrepare: a file edited, deleted or created
// between Prepare and Commit fails the commit, and the user's version
// stays.
func TestCommitSeesChangesSincePrepare(t *testing.T) {
	tests := []struct {
		name    string
		op      worktree.Operation
		meddle  func(root string) error
		wantErr error
		want    string
	}{
		{"edited", worktree.Operation{Type: worktree.OpUpdate, Path: "README.md", Diff: "-A demo project.\n+A patched project.\n"},
			func(root string) error {
				return os.WriteFile(filepath.Join(root, "README.md"), []byte("# Demo\n\nA demo project.\nThe user's line.\n"), 0o644)
			}, worktree.ErrStale, "README.md changed since the patch was prepared"},
		{"deleted", worktree.Operation{Type: worktree.OpUpdate, Path: "README.md", Diff: "-A demo project.\n+A patched project.\n"},
			func(root string) error { return os.Remove(filepath.Join(root, "README.md")) }, worktree.ErrStale, "README.md was deleted since the patch was prepared"},
		{"created", worktree.Operation{Type: worktree.OpCreate, Path: "NEW.md", Diff: "+model\n"},
			func(root string) error { return os.WriteFile(filepath.Join(root, "NEW.md"), []byte("user\n"), 0o644) }, worktree.ErrExists, "NEW.md was created since the patch was prepared"},
		{"swapped for a symlink", worktree.Operation{Type: worktree.OpUpdate, Path: "README.md", Diff: "-A demo project.\n+A patched project.\n"},
			func(root string) error {
				if err := os.Remove(filepath.Join(root, "README.md")); err != nil {
					return err
				}
				return os.Symlink("../outside/secret.txt", filepath.Join(root, "README.md"))
			}, worktree.ErrRefused, "README.md is a symbolic link"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base, root := editTree(t)
			e := newEditor(t, root, worktree.EditOptions{})
			p, err := e.Prepare(context.Background(), tt.op)
			if err != nil {
				t.Fatal(err)
			}
			if err := tt.meddle(root); err != nil {
				t.Fatal(err)
			}
			before := snapshot(t, base)
			err = p.Commit(context.Background())
			if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Commit: %v, want %v mentioning %q", err, tt.wantErr, tt.want)
			}
			sameTree(t, before, snapshot(t, base))
		})
	}
}

// TestEditRace swaps a directory on an edit's path with a symlink to a
// directory outside the tree (renameat2 RENAME_EXCHANGE, in a loop) while
// patches to a file in it are prepared and committed, and while WriteFile
// writes there: an edit may fail or land inside, never outside.
func TestEditRace(t *testing.T) {
	if !canExchange {
		t.Skip("no atomic rename exchange on this system")
	}
	rounds := 600
	if testing.Short() {
		rounds = 150
	}
	for _, mode := range []string{"patch", "create", "write"} {
		t.Run(mode, func(t *testing.T) {
			base := t.TempDir()
			root, outside := filepath.Join(base, "repo"), filepath.Join(base, "outside")
			for _, d := range []string{filepath.Join(root, "sub"), outside} {
				if err := os.MkdirAll(d, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			const orig = "line\n"
			for _, p := range []string{filepath.Join(root, "sub", "f.txt"), filepath.Join(outside, "f.txt")} {
				if err := os.WriteFile(p, []byte(orig), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			link := filepath.Join(root, "alt")
			if err := os.Symlink(outside, link); err != nil {
				t.Skipf("symlinks unsupported: %v", err)
			}
			e := newEditor(t, root, worktree.EditOptions{})
			stop, stopped := make(chan struct{}), make(chan error, 1)
			go func() {
				for {
					select {
					case <-stop:
						stopped <- nil
						return
					default:
					}
					if err := exchange(filepath.Join(root, "sub"), link); err != nil {
						stopped <- err
						return
					}
				}
			}()
			landed := 0
			for i := range rounds {
				var err error
				switch mode {
				case "patch":
					var p *worktree.Patch
					if p, err = e.Prepare(context.Background(), worktree.Operation{Type: worktree.OpUpdate, Path: "sub/f.txt", Diff: fmt.Sprintf("@@\n+%d\n", i)}); err == nil {
						err = p.Commit(context.Background())
					}
				case "create":
					var p *worktree.Patch
					if p, err = e.Prepare(context.Background(), worktree.Operation{Type: worktree.OpCreate, Path: fmt.Sprintf("sub/new%d.txt", i), Diff: "+x\n"}); err == nil {
						err = p.Commit(context.Background())
					}
				case "write":
					err = worktree.WriteFile(context.Background(), root, "sub/f.txt", []byte(fmt.Sprintf("%d\n", i)))
				}
				if err == nil {
					landed++
				}
			}
			close(stop)
			if err := <-stopped; err != nil {
				t.Fatalf("swap: %v", err)
			}
			entries, _ := os.ReadDir(outside)
			if len(entries) != 1 || readFile(t, filepath.Join(outside, "f.txt")) != orig {
				var names []string
				for _, e := range entries {
					names = append(names, e.Name())
				}
				t.Errorf("outside the tree changed: %v, f.txt = %q", names, readFile(t, filepath.Join(outside, "f.txt")))
			}
			t.Logf("%d rounds, %d landed inside", rounds, landed)
		})
	}
}

// TestUndo patches three files, then undoes the turn from what a record
// keeps (paths, blob ids, content before): the files come back byte for
// byte with their modes; and a file the user edited afterwards makes the
// undo refuse, naming it, and restore nothing.
func TestUndo(t *testing.T) {
	ops := []worktree.Operation{
		{Type: worktree.OpUpdate, Path: "run.sh", Diff: "-echo hi\n+echo bye\n"},
		{Type: worktree.OpCreate, Path: "new/dir/file.txt", Diff: "+new\n"},
		{Type: worktree.OpDelete, Path: "crlf.txt"},
		{Type: worktree.OpUpdate, Path: "README.md", Diff: "-A demo project.\n+A patched project.\n"},
		{Type: worktree.OpUpdate, Path: "README.md", Diff: " A patched project.\n+Twice.\n"},
	}
	record := func(p *worktree.Patch) []worktree.Recorded {
		var recs []worktree.Recorded
		for _, c := range p.Changes {
			recs = append(recs, worktree.Recorded{Path: c.Path, BeforeBlob: c.BeforeBlob, AfterBlob: c.AfterBlob, Before: c.Before, BeforeMode: c.BeforeMode})
		}
		return recs
	}
	t.Run("restores", func(t *testing.T) {
		base, root := editTree(t)
		before := snapshot(t, base)
		e := newEditor(t, root, worktree.EditOptions{})
		p, err := e.Prepare(context.Background(), ops...)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Commit(context.Background()); err != nil {
			t.Fatal(err)
		}
		u, err := e.PrepareUndo(context.Background(), record(p))
		if err != nil {
			t.Fatalf("PrepareUndo: %v", err)
		}
		var got []string
		for _, c := range u.Changes {
			got = append(got, string(c.Op)+" "+c.Path)
		}
		want := []string{"update_file run.sh", "delete_file new/dir/file.txt", "create_file crlf.txt", "update_file README.md"}
		if !slices.Equal(got, want) {
			t.Errorf("undo changes %q, want %q", got, want)
		}
		if err := u.Commit(context.Background()); err != nil {
			t.Fatal(err)
		}
		after := snapshot(t, base)
		// The directories the patch made stay (empty); everything else is back.
		for _, d := range []string{"repo/new", "repo/new/dir"} {
			if after[d] != "d---------" {
				t.Errorf("%s: %q", d, after[d])
			}
			delete(after, d)
		}
		sameTree(t, before, after)
	})
	t.Run("refuses files changed since", func(t *testing.T) {
		base, root := editTree(t)
		e := newEditor(t, root, worktree.EditOptions{})
		p, err := e.Prepare(context.Background(), ops...)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Commit(context.Background()); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(root, "README.md"), []byte("the user's version\n"), 0o644)
		os.Remove(filepath.Join(root, "new/dir/file.txt"))
		os.WriteFile(filepath.Join(root, "crlf.txt"), []byte("back\n"), 0o644)
		before := snapshot(t, base)
		_, err = e.PrepareUndo(context.Background(), record(p))
		if !errors.Is(err, worktree.ErrUndoConflict) {
			t.Fatalf("PrepareUndo: %v, want ErrUndoConflict", err)
		}
		assertInOrder(t, err.Error(), []string{"changed since the turn: ", "new/dir/file.txt (deleted since)", "crlf.txt (created again since)", "README.md (edited since: blob", "nothing was restored"}, []string{"run.sh"})
		sameTree(t, before, snapshot(t, base))
	})
	t.Run("refuses a path the rules refuse", func(t *testing.T) {
		_, root := editTree(t)
		e := newEditor(t, root, worktree.EditOptions{})
		_, err := e.PrepareUndo(context.Background(), []worktree.Recorded{{Path: ".git/config", BeforeBlob: blobID(t, "x\n", "sha1"), Before: []byte("x\n"), AfterBlob: "abc"}})
		if !errors.Is(err, worktree.ErrRefused) {
			t.Errorf("undo into .git: %v", err)
		}
		_, err = e.PrepareUndo(context.Background(), []worktree.Recorded{{Path: "README.md", BeforeBlob: blobID(t, "x\n", "sha1"), Before: []byte("not x\n")}})
		if err == nil || !strings.Contains(err.Error(), "is not that blob") {
			t.Errorf("content not matching its blob id: %v", err)
		}
	})
}

// TestWriteFile is close --write's write: in place, atomically, never
// through a link, never outside the tree.
func TestWriteFile(t *testing.T) {
	tests := []struct {
		name    string
		path    func(root string) string
		wantErr error
		want    string // in the error
		file    string // where it lands, when it does
	}{
		{"relative, new directories", func(string) string { return "docs/sessions/s1.md" }, nil, "", "docs/sessions/s1.md"},
		{"absolute inside", func(root string) string { return filepath.Join(root, "SUMMARY.md") }, nil, "", "SUMMARY.md"},
		{"over an existing file", func(string) string { return "README.md" }, nil, "", "README.md"},
		{"over a hard link to a file outside: replaced, not written through", func(string) string { return "hardlink.txt" }, nil, "", "hardlink.txt"},
		{"through a symlinked directory inside", func(string) string { return "link-dir-in/NOTES.md" }, nil, "", "src/util/NOTES.md"},
		{"absolute outside", func(root string) string { return filepath.Join(filepath.Dir(root), "outside", "x.md") }, worktree.ErrRefused, "outside the work tree", ""},
		{"dotdot", func(string) string { return "../outside/x.md" }, worktree.ErrRefused, "out of the work tree", ""},
		{"into .git", func(string) string { return ".git/x.md" }, worktree.ErrRefused, ".git", ""},
		{"a secret name", func(string) string { return ".env" }, worktree.ErrRefused, "deny list", ""},
		{"over a symlink to a file outside", func(string) string { return "link-out.txt" }, worktree.ErrRefused, "symbolic link", ""},
		{"over a dangling symlink", func(string) string { return "dangling" }, worktree.ErrRefused, "symbolic link", ""},
		{"through a symlinked directory outside", func(string) string { return "link-dir-out/x.md" }, worktree.ErrRefused, "leads out of the work tree", ""},
		{"over a FIFO", func(string) string { return "special/fifo" }, worktree.ErrRefused, "named pipe", ""},
		{"over a directory", func(string) string { return "src" }, worktree.ErrRefused, "a directory", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base, root := editTree(t)
			before := snapshot(t, base)
			err := worktree.WriteFile(context.Background(), root, tt.path(root), []byte("# Summary\n"))
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("WriteFile: %v, want %v mentioning %q", err, tt.wantErr, tt.want)
				}
				sameTree(t, before, snapshot(t, base))
				return
			}
			if err != nil {
				t.Fatalf("WriteFile: %v", err)
			}
			if got := readFile(t, filepath.Join(root, filepath.FromSlash(tt.file))); got != "# Summary\n" {
				t.Errorf("%s = %q", tt.file, got)
			}
			if got := readFile(t, filepath.Join(base, "outside", "secret.txt")); !strings.Contains(got, secret) {
				t.Errorf("the file outside changed: %q", got)
			}
		})
	}
	t.Run("keeps the mode of an existing file", func(t *testing.T) {
		if runtime.GOOS == "windows" {
			t.Skip("no executable bit")
		}
		_, root := editTree(t)
		if err := worktree.WriteFile(context.Background(), root, "run.sh", []byte("#!/bin/sh\n")); err != nil {
			t.Fatal(err)
		}
		if fi, _ := os.Stat(filepath.Join(root, "run.sh")); fi.Mode().Perm() != 0o755 {
			t.Errorf("mode %v", fi.Mode().Perm())
		}
	})
}

// TestCommitNeverOverwritesACreatedFile: a file that appears at a created
// path after the check (here, just before it is installed) is never
// overwritten: the commit fails, the earlier files are restored, and the
// newcomer stays.
func TestCommitNeverOverwritesACreatedFile(t *testing.T) {
	_, root := editTree(t)
	e := newEditor(t, root, worktree.EditOptions{})
	p, err := e.Prepare(context.Background(),
		worktree.Operation{Type: worktree.OpUpdate, Path: "README.md", Diff: "-A demo project.\n+A patched project.\n"},
		worktree.Operation{Type: worktree.OpCreate, Path: "NEW.md", Diff: "+the model's\n"},
	)
	if err != nil {
		t.Fatal(err)
	}
	worktree.SetCommitFault(t, func(path string) error {
		if path == "NEW.md" {
			return os.WriteFile(filepath.Join(root, "NEW.md"), []byte("the user's\n"), 0o644)
		}
		return nil
	})
	err = p.Commit(context.Background())
	if !errors.Is(err, worktree.ErrExists) || !strings.Contains(err.Error(), "NEW.md was created meanwhile") {
		t.Fatalf("Commit: %v, want ErrExists", err)
	}
	if got := readFile(t, filepath.Join(root, "NEW.md")); got != "the user's\n" {
		t.Errorf("NEW.md = %q", got)
	}
	if got := readFile(t, filepath.Join(root, "README.md")); got != "# Demo\n\nA demo project.\n" {
		t.Errorf("README.md not restored: %q", got)
	}
}

// TestEditSHA256: in a SHA-256 repository the blob ids are git's SHA-256
// ones; an unknown object format is refused.
func TestEditSHA256(t *testing.T) {
	_, root := editTree(t)
	e := newEditor(t, root, worktree.EditOptions{Format: worktree.SHA256})
	p, err := e.Prepare(context.Background(), worktree.Operation{Type: worktree.OpUpdate, Path: "README.md", Diff: "-A demo project.\n+A patched project.\n"})
	if err != nil {
		t.Fatal(err)
	}
	c := p.Changes[0]
	if c.BeforeBlob != blobID(t, "# Demo\n\nA demo project.\n", "sha256") || c.AfterBlob != blobID(t, "# Demo\n\nA patched project.\n", "sha256") {
		t.Errorf("blobs %s → %s", c.BeforeBlob, c.AfterBlob)
	}
	if _, err := worktree.NewEditor(root, worktree.EditOptions{Format: "md5"}); err == nil {
		t.Errorf("NewEditor accepted object format md5")
	}
	if _, err := worktree.NewSeen("md5", 1, nil, nil); err == nil {
		t.Errorf("NewSeen accepted object format md5")
	}
}
