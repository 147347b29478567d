package gitstore

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestMain lets this test binary double as a writer process for the
// multi-process tests: GITSTORE_CHILD=append appends records and exits.
func TestMain(m *testing.M) {
	switch os.Getenv("GITSTORE_CHILD") {
	case "append":
		os.Exit(childAppend())
	case "lock":
		os.Exit(childLock())
	case "holdrun":
		os.Exit(childHoldRun())
	}
	os.Exit(m.Run())
}

func childAppend() int {
	dir, topic, prefix := os.Getenv("CHILD_DIR"), os.Getenv("CHILD_TOPIC"), os.Getenv("CHILD_PREFIX")
	n, _ := strconv.Atoi(os.Getenv("CHILD_N")) // 0: forever (until killed)
	target := os.Getenv("CHILD_TARGET")
	r, err := Open(dir, os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	s := r.Notes()
	if os.Getenv("CHILD_READY") == "1" {
		fmt.Println("ready") // the parent times its kill from here, not from exec
	}
	for i := 0; n == 0 || i < n; i++ {
		now := time.Now()
		rec := testRecord{Time: FormatTime(now), ID: NewID(now), Kind: kindTurn, Session: "S", Text: fmt.Sprintf("%s-%d", prefix, i)}.record()
		if err := s.Append(context.Background(), topic, target, rec); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	return 0
}

func startChild(t *testing.T, dir, topic, prefix, target string, n int) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "GITSTORE_CHILD=append", "CHILD_DIR="+dir, "CHILD_TOPIC="+topic,
		"CHILD_PREFIX="+prefix, "CHILD_TARGET="+target, "CHILD_N="+strconv.Itoa(n))
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// startReadyChild starts an endless appender and returns once it has opened
// the repository, so that a kill lands during appends whatever the process
// start-up costs (about a second for a -race binary on a loaded machine).
func startReadyChild(t *testing.T, dir, topic, prefix, target string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "GITSTORE_CHILD=append", "CHILD_READY=1", "CHILD_DIR="+dir, "CHILD_TOPIC="+topic,
		"CHILD_PREFIX="+prefix, "CHILD_TARGET="+target, "CHILD_N=0")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := bufio.NewReader(out).ReadString('\n'); err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("child did not start: %v", err)
	}
	return cmd
}

// gitCLIWriter appends with git's own tools the safe way: a private notes
// ref, `git notes append`, then `git update-ref <ref> <new> <old>`, retried.
func gitCLIWriter(dir, ref, target, prefix string, n int) error {
	priv := "refs/notes/private-" + prefix
	for i := 0; i < n; i++ {
		line, _ := testRecord{Time: FormatTime(time.Now()), ID: NewID(time.Now()), Kind: kindTurn, Text: fmt.Sprintf("%s-%d", prefix, i)}.Marshal()
		for attempt := 0; ; attempt++ {
			if attempt > 500 {
				return fmt.Errorf("%s: gave up", prefix)
			}
			old, _ := gitErr(dir, "", "rev-parse", "-q", "--verify", ref)
			if old != "" {
				if out, err := gitErr(dir, "", "update-ref", priv, old); err != nil {
					return fmt.Errorf("%s: %v", out, err)
				}
			} else {
				gitErr(dir, "", "update-ref", "-d", priv)
			}
			if out, err := gitErr(dir, "", "notes", "--ref="+priv, "append", "-m", string(line), target); err != nil {
				return fmt.Errorf("notes append: %s: %v", out, err)
			}
			newv, _ := gitErr(dir, "", "rev-parse", priv)
			oldArg := old
			if oldArg == "" {
				oldArg = strings.Repeat("0", 40)
			}
			if _, err := gitErr(dir, "", "update-ref", ref, newv, oldArg); err == nil {
				break
			}
			time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
		}
	}
	return nil
}

// 8 processes × 50 appends to one topic, beside a `git pack-refs --all
// --prune` loop and beside git-CLI writers using update-ref CAS, then
// several topics in parallel: nothing lost, no broken ref, fsck clean.
func TestConcurrentWritersLoseNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process stress test")
	}
	// git 2.39 itself loses updates when `git update-ref` CAS writers race
	// `git pack-refs --prune` (measured: the CLI writers alone, beside the
	// pack-refs loop, lost 1 of 200), so the git CLI writers run beside us
	// in their own case.
	tests := []struct {
		name       string
		packRefs   bool
		cliWriters int
	}{
		{"beside pack-refs loop", true, 0},
		{"beside git update-ref writers", false, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { concurrentWriters(t, tc.packRefs, tc.cliWriters) })
	}
}

func concurrentWriters(t *testing.T, packRefs bool, cliWriters int) {
	dir := newRepo(t)
	head := git(t, dir, "rev-parse", "HEAD")
	procs, each, cliEach := 8, 50, 25
	stop := make(chan struct{})
	var packs int
	var bg sync.WaitGroup
	bg.Add(1)
	go func() {
		defer bg.Done()
		for packRefs {
			select {
			case <-stop:
				return
			default:
			}
			gitErr(dir, "", "pack-refs", "--all", "--prune")
			packs++
		}
	}()
	ref := "refs/notes/codex/shared"
	cliErr := make([]error, cliWriters)
	var cli sync.WaitGroup
	for w := 0; w < cliWriters; w++ {
		cli.Add(1)
		go func(w int) {
			defer cli.Done()
			cliErr[w] = gitCLIWriter(dir, ref, head, fmt.Sprintf("cli%d", w), cliEach)
		}(w)
	}
	var cmds []*exec.Cmd
	for p := 0; p < procs; p++ {
		cmds = append(cmds, startChild(t, dir, "shared", fmt.Sprintf("p%d", p), head, each))
	}
	// Several topics in parallel as well.
	for p := 0; p < 4; p++ {
		cmds = append(cmds, startChild(t, dir, fmt.Sprintf("topic/%d", p), "t", head, each))
	}
	var failed error
	for _, c := range cmds {
		if err := c.Wait(); err != nil && failed == nil {
			failed = err
		}
	}
	cli.Wait() // the git CLI writers finish (or give up) before pack-refs stops
	close(stop)
	bg.Wait()
	if failed != nil {
		t.Fatalf("writer failed: %v", failed)
	}
	for _, err := range cliErr {
		if err != nil {
			t.Fatal(err)
		}
	}
	r := openRepo(t, dir)
	recs, warns, err := r.Notes().Read(context.Background(), "shared")
	if err != nil || len(warns) > 0 {
		t.Fatalf("read: %v %v", err, warns)
	}
	want := procs*each + cliWriters*cliEach
	seen := map[string]bool{}
	for _, x := range recs {
		seen[textOf(x)] = true
	}
	t.Logf("shared topic: %d records of %d written (%d by processes, %d by git CLI writers), %d pack-refs runs",
		len(seen), want, procs*each, cliWriters*cliEach, packs)
	if len(seen) != want {
		var missing []string
		for p := 0; p < procs; p++ {
			for i := 0; i < each; i++ {
				if k := fmt.Sprintf("p%d-%d", p, i); !seen[k] {
					missing = append(missing, k)
				}
			}
		}
		for w := 0; w < cliWriters; w++ {
			for i := 0; i < cliEach; i++ {
				if k := fmt.Sprintf("cli%d-%d", w, i); !seen[k] {
					missing = append(missing, k)
				}
			}
		}
		t.Fatalf("lost %d of %d records: %v", want-len(seen), want, missing)
	}
	for p := 0; p < 4; p++ {
		recs, _, _ := r.Notes().Read(context.Background(), fmt.Sprintf("topic/%d", p))
		if len(recs) != each {
			t.Fatalf("topic/%d: %d of %d records", p, len(recs), each)
		}
	}
	git(t, dir, "fsck", "--strict", "--no-dangling")
}

// SIGKILL at random moments during appends leaves the old or the new state:
// never a broken ref; git fsck stays clean. A lock file left by a kill is
// reported with the command that clears it.
func TestKilledWritersNeverBreakTheRef(t *testing.T) {
	if testing.Short() {
		t.Skip("fault-injection test")
	}
	dir := newRepo(t)
	head := git(t, dir, "rev-parse", "HEAD")
	ref := "refs/notes/codex/killed"
	refPath := filepath.Join(dir, ".git", filepath.FromSlash(ref))
	kills, staleLocks, reclaimed := 0, 0, 0
	last := 0
	for i := 0; i < 120; i++ {
		c := startReadyChild(t, dir, "killed", fmt.Sprintf("k%d", i), head)
		time.Sleep(time.Duration(2+rand.IntN(25)) * time.Millisecond)
		c.Process.Signal(syscall.SIGKILL)
		c.Wait()
		kills++
		if _, err := os.Stat(refPath + ".lock"); err == nil {
			staleLocks++
			r := openRepo(t, dir)
			if _, gone := staleLock(refPath+".lock", false); gone {
				// The lock names its owner, which is provably gone: the
				// next write removes it and goes on, well within the
				// 10 s an unknown lock is waited for.
				ctx, cancel := context.WithTimeout(context.Background(), lockTimeout/2)
				err := r.Notes().Append(ctx, "killed", head, rec("after a kill"))
				cancel()
				if err != nil {
					t.Fatalf("append after a dead owner's lock: %v", err)
				}
				reclaimed++
			} else {
				// A lock without a provably dead owner (cut between the
				// value and the rename) is never taken over.
				ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
				err := r.Notes().Append(ctx, "killed", head, rec("blocked"))
				cancel()
				if err == nil {
					t.Fatal("append succeeded over a stale lock")
				}
				os.Remove(refPath + ".lock")
			}
		}
		v, err := gitErr(dir, "", "rev-parse", "--verify", ref)
		// On a loaded machine the first children may die before their
		// first append; once the ref exists it must stay readable.
		if last > 0 && err != nil {
			t.Fatalf("after kill %d: ref unreadable: %v %s", i, err, v)
		}
		if err == nil {
			out := git(t, dir, "notes", "--ref="+ref, "show", head)
			n := strings.Count(out, "\n") + 1
			if n < last {
				t.Fatalf("after kill %d: records went from %d to %d", i, last, n)
			}
			last = n
		}
		if i%40 == 39 {
			git(t, dir, "pack-refs", "--all", "--prune")
		}
	}
	if last == 0 {
		t.Fatal("no writer got as far as one append before its kill: nothing was tested")
	}
	git(t, dir, "fsck", "--strict", "--no-dangling")
	t.Logf("%d SIGKILLs: 0 broken refs, %d stale lock files (%d of them a dead owner's, taken over by the next write; the others reported and removed), %d records survived",
		kills, staleLocks, reclaimed, last)
}

// A stale lock is reported as ErrLocked with the rm command.
func TestStaleLockIsReported(t *testing.T) {
	dir := newRepo(t)
	r := openRepo(t, dir)
	lock := filepath.Join(dir, ".git", "refs", "notes", "codex", "t.lock")
	os.MkdirAll(filepath.Dir(lock), 0o755)
	os.WriteFile(lock, nil, 0o644)
	old := time.Now().Add(-time.Hour)
	os.Chtimes(lock, old, old)
	err := r.Notes().Append(context.Background(), "t", EmptyTree, rec("x"))
	if err == nil || !strings.Contains(err.Error(), "rm '"+lock+"'") {
		t.Fatalf("Append with stale lock = %v", err)
	}
}
