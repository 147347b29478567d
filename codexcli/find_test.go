package codexcli_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/git-codex/git-codex/codexcli"
)

// writeExe writes an executable shell script.
func writeExe(t testing.TB, path, script string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// versionScript is a fake codex that answers --version and counts how
// often it was asked in the file count.
func versionScript(version, count string) string {
	return `echo "$@" >> ` + count + `
echo "WARNING: proceeding, even though we could not create PATH aliases" >&2
echo "codex-cli ` + version + `"
`
}

func TestFind(t *testing.T) {
	tests := []struct {
		name string
		// setup returns the FindOptions for a fresh directory.
		setup       func(t *testing.T, dir string) codexcli.FindOptions
		wantErr     error
		wantVersion string
		wantMsg     string // part of the error text
	}{
		{"on PATH", func(t *testing.T, dir string) codexcli.FindOptions {
			writeExe(t, filepath.Join(dir, "bin", "codex"), versionScript("0.169.0", filepath.Join(dir, "count")))
			return codexcli.FindOptions{PATH: filepath.Join(dir, "empty") + string(os.PathListSeparator) + filepath.Join(dir, "bin")}
		}, nil, "0.169.0", ""},
		{"configured path, newer", func(t *testing.T, dir string) codexcli.FindOptions {
			return codexcli.FindOptions{Path: writeExe(t, filepath.Join(dir, "opt", "codex"), versionScript("0.170.2", filepath.Join(dir, "count"))), PATH: "/nonexistent"}
		}, nil, "0.170.2", ""},
		{"missing from PATH", func(t *testing.T, dir string) codexcli.FindOptions {
			return codexcli.FindOptions{PATH: dir}
		}, codexcli.ErrNotInstalled, "", `codex CLI "codex" not found on PATH (install it: npm install -g @openai/codex)`},
		{"configured path missing", func(t *testing.T, dir string) codexcli.FindOptions {
			return codexcli.FindOptions{Path: filepath.Join(dir, "nope", "codex")}
		}, codexcli.ErrNotInstalled, "", "not found at " + "DIR/nope/codex (install it: npm install -g @openai/codex)"},
		{"not executable", func(t *testing.T, dir string) codexcli.FindOptions {
			p := filepath.Join(dir, "codex")
			if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
			return codexcli.FindOptions{Path: p}
		}, codexcli.ErrNotInstalled, "", "install it"},
		{"too old", func(t *testing.T, dir string) codexcli.FindOptions {
			return codexcli.FindOptions{Path: writeExe(t, filepath.Join(dir, "codex"), versionScript("0.154.0", filepath.Join(dir, "count")))}
		}, codexcli.ErrTooOld, "", "is 0.154.0, older than 0.169.0 (install it: npm install -g @openai/codex)"},
		{"a pre-release of the minimum is older", func(t *testing.T, dir string) codexcli.FindOptions {
			return codexcli.FindOptions{Path: writeExe(t, filepath.Join(dir, "codex"), versionScript("0.169.0-alpha.3", filepath.Join(dir, "count")))}
		}, codexcli.ErrTooOld, "", "0.169.0-alpha.3"},
		{"not a codex", func(t *testing.T, dir string) codexcli.FindOptions {
			return codexcli.FindOptions{Path: writeExe(t, filepath.Join(dir, "codex"), "echo 'unknown option --version' >&2\nexit 2\n")}
		}, codexcli.ErrNotInstalled, "", "does not work: run codex --version: exit status 2: unknown option --version"},
		{"garbled version", func(t *testing.T, dir string) codexcli.FindOptions {
			return codexcli.FindOptions{Path: writeExe(t, filepath.Join(dir, "codex"), "echo codex-cli latest\n")}
		}, codexcli.ErrNotInstalled, "", "want X.Y.Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			opts := tt.setup(t, dir)
			b, err := codexcli.Find(context.Background(), opts)
			if tt.wantErr != nil {
				msg := strings.ReplaceAll(tt.wantMsg, "DIR", dir)
				if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), msg) || strings.Contains(err.Error(), "\n") {
					t.Fatalf("Find error = %v, want one line, %v, containing %q", err, tt.wantErr, msg)
				}
				var ie *codexcli.InstallError
				if !errors.As(err, &ie) {
					t.Errorf("error %T is not an *InstallError", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if b.Version.String() != tt.wantVersion || !filepath.IsAbs(b.Path) || b.Path != b.Found {
				t.Errorf("Find = %+v, want version %s at an absolute path", b, tt.wantVersion)
			}
		})
	}
}

// TestFindNPMWrapper builds npm's layout — bin/codex linking to the node
// wrapper, the platform package holding the native binary and its
// codex-package.json — and checks that Find runs the native binary, reads
// the version without starting it, and sets what the wrapper sets.
func TestFindNPMWrapper(t *testing.T) {
	triples := map[string][2]string{
		"linux/amd64": {"codex-linux-x64", "x86_64-unknown-linux-musl"}, "linux/arm64": {"codex-linux-arm64", "aarch64-unknown-linux-musl"},
		"darwin/amd64": {"codex-darwin-x64", "x86_64-apple-darwin"}, "darwin/arm64": {"codex-darwin-arm64", "aarch64-apple-darwin"},
	}
	target, ok := triples[runtime.GOOS+"/"+runtime.GOARCH]
	if !ok {
		t.Skip("npm ships no native codex for this platform")
	}
	for _, layout := range []string{"hoisted", "nested"} {
		t.Run(layout, func(t *testing.T) {
			prefix := t.TempDir()
			nm := filepath.Join(prefix, "lib", "node_modules")
			root := filepath.Join(nm, "@openai", "codex")
			wrapper := writeExe(t, filepath.Join(root, "bin", "codex.js"), "echo the node wrapper ran >&2; exit 1\n")
			platform := filepath.Join(nm, "@openai", target[0])
			if layout == "nested" {
				platform = filepath.Join(root, "node_modules", "@openai", target[0])
			}
			vendor := filepath.Join(platform, "vendor", target[1])
			count := filepath.Join(prefix, "count")
			native := writeExe(t, filepath.Join(vendor, "bin", "codex"), versionScript("0.169.0", count))
			if err := os.WriteFile(filepath.Join(vendor, "codex-package.json"), []byte(`{"layoutVersion":1,"version":"0.171.0","entrypoint":"bin/codex"}`), 0o644); err != nil {
				t.Fatal(err)
			}
			link := filepath.Join(prefix, "bin", "codex")
			if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(wrapper, link); err != nil {
				t.Fatal(err)
			}

			b, err := codexcli.Find(context.Background(), codexcli.FindOptions{PATH: filepath.Dir(link)})
			if err != nil {
				t.Fatal(err)
			}
			if b.Path != native || b.Found != link {
				t.Errorf("Find = path %s found %s, want the native %s found as %s", b.Path, b.Found, native, link)
			}
			if b.Version.String() != "0.171.0" {
				t.Errorf("version %s, want 0.171.0 from codex-package.json", b.Version)
			}
			if _, err := os.Stat(count); err == nil {
				t.Errorf("Find started the binary to read its version")
			}
			want := []string{"CODEX_MANAGED_BY_NPM=1", "CODEX_MANAGED_PACKAGE_ROOT=" + root}
			if strings.Join(b.Env, " ") != strings.Join(want, " ") {
				t.Errorf("Env = %q, want %q", b.Env, want)
			}
		})
	}
}

// TestFindVersionCache checks that a binary outside npm is asked its
// version once while it stays the same file, and again once it changes.
func TestFindVersionCache(t *testing.T) {
	dir := t.TempDir()
	count := filepath.Join(dir, "count")
	exe := writeExe(t, filepath.Join(dir, "codex"), versionScript("0.169.0", count))
	opts := codexcli.FindOptions{Path: exe, VersionCache: filepath.Join(dir, "cache", "codex-version")}
	asked := func() int {
		b, _ := os.ReadFile(count)
		return strings.Count(string(b), "--version")
	}
	for i := 0; i < 3; i++ {
		if _, err := codexcli.Find(context.Background(), opts); err != nil {
			t.Fatal(err)
		}
	}
	if n := asked(); n != 1 {
		t.Fatalf("asked --version %d times in 3 finds, want 1", n)
	}
	writeExe(t, exe, versionScript("0.150.0", count)+"# a different build\n")
	_, err := codexcli.Find(context.Background(), opts)
	if !errors.Is(err, codexcli.ErrTooOld) || asked() != 2 {
		t.Errorf("after an update: %v, asked %d times; want ErrTooOld from a fresh --version", err, asked())
	}
	if err := os.WriteFile(opts.VersionCache, []byte("not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := codexcli.Find(context.Background(), opts); !errors.Is(err, codexcli.ErrTooOld) || asked() != 3 {
		t.Errorf("with a broken cache: %v, asked %d times; want a fresh --version", err, asked())
	}
}

func TestParseVersion(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"codex-cli 0.169.0\n", "0.169.0"},
		{"0.170.12", "0.170.12"},
		{"codex-cli 1.0.0-alpha.2", "1.0.0-alpha.2"},
		{"v0.169.1+build.7", "0.169.1"},
	}
	for _, tt := range tests {
		v, err := codexcli.ParseVersion(tt.in)
		if err != nil || v.String() != tt.want {
			t.Errorf("ParseVersion(%q) = %v, %v; want %s", tt.in, v, err, tt.want)
		}
	}
	for _, bad := range []string{"", "codex-cli", "0.169", "0.x.1", "1.2.3.4", "-1.0.0"} {
		if _, err := codexcli.ParseVersion(bad); err == nil {
			t.Errorf("ParseVersion(%q) succeeded", bad)
		}
	}
}

func TestVersionLess(t *testing.T) {
	order := []string{"0.9.9", "0.154.0", "0.169.0-alpha.1", "0.169.0-alpha.2", "0.169.0", "0.169.1", "0.170.0", "1.0.0"}
	for i, a := range order {
		for j, b := range order {
			va, _ := codexcli.ParseVersion(a)
			vb, _ := codexcli.ParseVersion(b)
			if got := va.Less(vb); got != (i < j) {
				t.Errorf("%s.Less(%s) = %v", a, b, got)
			}
		}
	}
	if min, err := codexcli.ParseVersion(codexcli.MinVersion); err != nil || min.String() != codexcli.MinVersion {
		t.Fatalf("MinVersion %q does not parse: %v", codexcli.MinVersion, err)
	}
}
