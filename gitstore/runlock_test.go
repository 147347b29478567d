package gitstore

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// childHoldRun holds run CHILD_RUN and says "held" until killed.
func childHoldRun() int {
	r, err := Open(os.Getenv("CHILD_DIR"), os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if _, err := r.HoldRun(os.Getenv("CHILD_RUN")); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("held")
	time.Sleep(time.Hour)
	return 0
}

// A run is held by one process at a time; a killed holder holds nothing.
func TestHoldRun(t *testing.T) {
	if !lockMarksOwner {
		t.Skip("no flock here")
	}
	dir := newRepo(t)
	r := openRepo(t, dir)
	release, err := r.HoldRun("01RUN")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.HoldRun("01RUN"); !errors.Is(err, ErrRunBusy) || !strings.Contains(err.Error(), fmt.Sprint(os.Getpid())) {
		t.Fatalf("second hold = %v, want ErrRunBusy naming pid %d", err, os.Getpid())
	}
	other, err := r.HoldRun("01OTHER")
	if err != nil {
		t.Fatalf("another run: %v", err)
	}
	other()
	release()
	again, err := r.HoldRun("01RUN")
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	again()

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "GITSTORE_CHILD=holdrun", "CHILD_DIR="+dir, "CHILD_RUN=01RUN")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5)
	if n, err := out.Read(buf); err != nil || string(buf[:n]) != "held\n" {
		t.Fatalf("child: %q, %v", buf[:n], err)
	}
	if _, err := r.HoldRun("01RUN"); !errors.Is(err, ErrRunBusy) {
		t.Fatalf("hold beside a live child = %v, want ErrRunBusy", err)
	}
	cmd.Process.Kill()
	cmd.Wait()
	release, err = r.HoldRun("01RUN")
	if err != nil {
		t.Fatalf("hold after the holder was killed: %v", err)
	}
	release()
	if _, err := r.HoldRun("../x"); err == nil {
		t.Error("a path accepted as a run id")
	}
}
