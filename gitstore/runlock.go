package gitstore

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ErrRunBusy is HoldRun's error when another process holds the run.
var ErrRunBusy = errors.New("the run is going on in another process")

// HoldRun marks workflow run id as going on in this process, until release
// is called or the process ends (a flock(2) on <common git dir>/codex/
// runs/<id>.lock, which the kernel releases with the process, so a kill
// leaves nothing to clean up). Another process holding it is ErrRunBusy,
// naming its pid. Where flock is not available it holds nothing.
func (r *Repo) HoldRun(id string) (release func(), err error) {
	if id == "" || strings.ContainsAny(id, `/\.`) {
		return nil, fmt.Errorf("hold run %q: not a run id", id)
	}
	if !lockMarksOwner {
		return func() {}, nil
	}
	dir := filepath.Join(r.commonDir, cacheDir, "runs")
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return nil, fmt.Errorf("hold run %s: %w", id, err)
	}
	path := filepath.Join(dir, id+".lock")
	for attempt := 0; ; attempt++ {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o666)
		if err != nil {
			return nil, fmt.Errorf("hold run %s: %w", id, err)
		}
		if !tryFlock(f) {
			pid, _ := os.ReadFile(path)
			f.Close()
			return nil, fmt.Errorf("%w (pid %s)", ErrRunBusy, strings.TrimSpace(string(pid)))
		}
		// The file may have been removed by its holder between our open
		// and our flock: then ours is a lock nobody else can see.
		fi, ferr := f.Stat()
		pi, perr := os.Stat(path)
		if ferr == nil && perr == nil && os.SameFile(fi, pi) {
			_ = f.Truncate(0)
			_, _ = f.WriteAt([]byte(fmt.Sprintf("%d\n", os.Getpid())), 0)
			return func() {
				_ = os.Remove(path)
				_ = f.Close()
			}, nil
		}
		f.Close()
		if attempt > 8 {
			return nil, fmt.Errorf("hold run %s: its lock file keeps changing", id)
		}
	}
}
