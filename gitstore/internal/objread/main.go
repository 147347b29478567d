// Command objread measures object reads on a repository with go-git's
// filesystem storage or with packidx.Store, in a fresh process so that the
// figures include every fixed cost: open, resolve HEAD, read the commit
// ("first"), walk first parents ("walk"), or read one path from HEAD's tree
// ("tree"). It prints milliseconds and the peak resident set size.
//
// It is a benchmark tool only; nothing in git codex imports it.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/storage/filesystem"

	"github.com/git-codex/git-codex/gitstore/packidx"
)

func main() {
	impl := flag.String("impl", "packidx", "gogit or packidx")
	repo := flag.String("repo", ".", "repository (work tree or git dir)")
	op := flag.String("op", "first", "first, walk or tree")
	n := flag.Int("n", 10000, "commits to walk")
	path := flag.String("path", "", "tree path to read (op tree); default: the first file")
	prof := flag.String("cpuprofile", "", "write a CPU profile to this file")
	flag.Parse()
	if *prof != "" {
		f, err := os.Create(*prof)
		if err == nil && pprof.StartCPUProfile(f) == nil {
			defer pprof.StopCPUProfile()
		}
	}
	if err := run(*impl, *repo, *op, *n, *path); err != nil {
		fmt.Fprintln(os.Stderr, "objread:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

func run(impl, repo, op string, n int, path string) error {
	gitDir := repo
	if fi, err := os.Stat(filepath.Join(repo, ".git")); err == nil && fi.IsDir() {
		gitDir = filepath.Join(repo, ".git")
	}
	head, err := exec.Command("git", "--git-dir", gitDir, "rev-parse", "HEAD").Output()
	if err != nil {
		return fmt.Errorf("resolve HEAD: %w", err)
	}
	h := plumbing.NewHash(strings.TrimSpace(string(head)))
	start := time.Now() // after the git call: both sides resolve HEAD for free
	var st storer.EncodedObjectStorer
	switch impl {
	case "gogit":
		s := filesystem.NewStorageWithOptions(osfs.New(gitDir), cache.NewObjectLRUDefault(),
			filesystem.Options{KeepDescriptors: true})
		defer s.Close()
		st = s
	case "packidx":
		s := packidx.NewStore(gitDir, packidx.Options{})
		defer s.Close()
		st = s
	default:
		return fmt.Errorf("unknown -impl %q", impl)
	}
	c, err := object.GetCommit(st, h)
	if err != nil {
		return err
	}
	detail := "commit " + c.Hash.String()[:12]
	switch op {
	case "first":
	case "walk":
		i := 1
		for ; i < n && len(c.ParentHashes) > 0; i++ {
			if c, err = object.GetCommit(st, c.ParentHashes[0]); err != nil {
				return err
			}
		}
		detail = fmt.Sprintf("%d commits", i)
	case "tree":
		t, err := object.GetTree(st, c.TreeHash)
		if err != nil {
			return err
		}
		if path == "" {
			path = "d00/s00/f00.txt"
		}
		f, err := t.File(path)
		if err != nil {
			return fmt.Errorf("read %s: %w", path, err)
		}
		r, err := f.Reader()
		if err != nil {
			return err
		}
		nb, _ := io.Copy(io.Discard, r)
		r.Close()
		detail = fmt.Sprintf("%s (%d bytes)", path, nb)
	default:
		return fmt.Errorf("unknown -op %q", op)
	}
	el := time.Since(start)
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	fmt.Printf("%s %s: %.2f ms, peak RSS %.1f MiB (%s)\n", impl, op, float64(el.Microseconds())/1000, float64(ru.Maxrss)/1024, detail)
	return nil
}
