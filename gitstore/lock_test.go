package gitstore

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/git-codex/git-codex/internal/gittest"
)

// childLock takes the lock of CHILD_REF, says "locked" and holds it until
// killed.
func childLock() int {
	r, err := Open(os.Getenv("CHILD_DIR"), os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if _, err := r.lockRef(context.Background(), os.Getenv("CHILD_REF")); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("locked")
	time.Sleep(time.Hour)
	return 0
}

// holdLock starts a process that holds ref's lock and returns it once the
// lock is taken.
func holdLock(t *testing.T, dir, ref string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "GITSTORE_CHILD=lock", "CHILD_DIR="+dir, "CHILD_REF="+ref)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || line != "locked\n" {
		t.Fatalf("lock holder: %q, %v", line, err)
	}
	return cmd
}

// A lock whose owner was killed is reported by check at once, and the next
// write takes it over without waiting; a lock whose owner lives is left
// alone; a lock git could have made (no owner line) is waited for.
func TestDeadOwnersLock(t *testing.T) {
	if !lockMarksOwner {
		t.Skip("no flock here")
	}
	dir := newRepo(t)
	r := openRepo(t, dir)
	ref := r.TopicRef("t")
	lock := filepath.Join(dir, ".git", filepath.FromSlash(ref)+".lock")

	holder := holdLock(t, dir, ref)
	b, err := os.ReadFile(lock)
	if err != nil {
		t.Fatal(err)
	}
	if o, ok := parseLockOwner(b); !ok || o.PID != holder.Process.Pid {
		t.Fatalf("lock holds %q, want the owner line of pid %d", b, holder.Process.Pid)
	}
	// Alive: a write waits (and gives up here), check says nothing.
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	err = r.Notes().Append(ctx, "t", EmptyTree, rec("while held"))
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Append beside a live lock = %v, want the deadline", err)
	}
	if probs, err := r.VerifyNotesRefs(context.Background()); err != nil || len(probs) != 0 {
		t.Fatalf("check beside a live lock = %v, %v", probs, err)
	}

	holder.Process.Signal(syscall.SIGKILL)
	holder.Wait()
	probs, err := r.VerifyNotesRefs(context.Background())
	if err != nil || len(probs) != 1 || !strings.Contains(probs[0].Detail, fmt.Sprintf("process %d, which is gone", holder.Process.Pid)) {
		t.Fatalf("check after the kill = %+v, %v", probs, err)
	}
	// Well within the 10 s an unknown lock is waited for.
	ctx, cancel = context.WithTimeout(context.Background(), lockTimeout/2)
	defer cancel()
	if err := r.Notes().Append(ctx, "t", EmptyTree, rec("after the kill")); err != nil {
		t.Fatalf("Append after the owner's kill: %v", err)
	}
	if _, err := os.Stat(lock); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("lock still there: %v", err)
	}
	if out := git(t, dir, "notes", "--ref="+ref, "show", EmptyTree); !strings.Contains(out, "after the kill") {
		t.Fatalf("note = %q", out)
	}
	// git's own lock (empty, or a value) is never taken over.
	for _, content := range []string{"", git(t, dir, "rev-parse", ref) + "\n"} {
		gittest.WriteFile(t, dir, filepath.Join(".git", filepath.FromSlash(ref)+".lock"), content)
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := r.Notes().Append(ctx, "t", EmptyTree, rec("beside git"))
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Append beside a lock holding %q = %v", content, err)
		}
		os.Remove(lock)
	}
}

// An owner is gone when its pid is free, was reused, or the machine was
// booted since; another host's owner is never judged.
func TestLockOwnerGone(t *testing.T) {
	if !lockMarksOwner {
		t.Skip("no flock here")
	}
	me := self()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	dead := cmd.Process.Pid // reaped: free (until reused, which the start time tells)
	tests := []struct {
		name  string
		owner lockOwner
		want  bool
	}{
		{"this process", me, false},
		{"a finished process", lockOwner{PID: dead, Host: me.Host, Boot: me.Boot, Start: "1"}, true},
		{"a reused pid", lockOwner{PID: me.PID, Host: me.Host, Boot: me.Boot, Start: me.Start + "0"}, me.Start != ""},
		{"another boot (or a machine of the same name)", lockOwner{PID: dead, Host: me.Host, Boot: "another-boot", Start: "1"}, false},
		{"another host", lockOwner{PID: dead, Host: me.Host + "-other", Boot: me.Boot, Start: "1"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, ok := parseLockOwner([]byte(tt.owner.String()))
			if !ok || o != tt.owner {
				t.Fatalf("parse(%q) = %+v, %v", tt.owner.String(), o, ok)
			}
			if got := o.gone(); got != tt.want {
				t.Fatalf("gone() = %v, want %v", got, tt.want)
			}
		})
	}
	for _, bad := range []string{"", "0123\n", lockOwnerPrefix + "pid=1 host=h\n", lockOwnerPrefix + "pid=x host=h boot= start=\n"} {
		if o, ok := parseLockOwner([]byte(bad)); ok {
			t.Errorf("parse(%q) = %+v, want no owner", bad, o)
		}
	}
}

// Someone clearing <git dir>/codex while writers take locks (an earlier
// build prepared owner files there, and spun when they vanished) costs the
// writers nothing: every append still lands, none spins.
func TestLockPreparedFileRemoved(t *testing.T) {
	dir := newRepo(t)
	r := openRepo(t, dir)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			files, _ := filepath.Glob(filepath.Join(dir, ".git", "codex", "lock-*"))
			for _, f := range files {
				os.Remove(f)
			}
		}
	}()
	defer func() { close(stop); <-done }()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for i := 0; i < 200; i++ {
		if err := r.Notes().Append(ctx, "t", EmptyTree, rec(fmt.Sprintf("append %d", i))); err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
	}
	recs, _, err := r.Notes().Read(ctx, "t")
	if err != nil || len(recs) != 200 {
		t.Fatalf("read back %d records, %v; want 200", len(recs), err)
	}
}
