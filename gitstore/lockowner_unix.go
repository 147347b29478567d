//go:build unix

package gitstore

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// bootID names this boot of the machine (Linux; "" elsewhere).
func bootID() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// startTime is when process pid started, in clock ticks since boot (field
// 22 of /proc/<pid>/stat; Linux), "" when unknown.
func startTime(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	// The command name (field 2) is in parentheses and may hold spaces:
	// count fields after its closing parenthesis.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return ""
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return ""
	}
	return f[19] // field 22 overall: fields 3.. start at f[0]
}

// alive asks the kernel whether pid names a process.
func alive(pid int) int {
	err := syscall.Kill(pid, 0)
	switch {
	case err == nil, errors.Is(err, syscall.EPERM):
		return processAlive
	case errors.Is(err, syscall.ESRCH):
		return processGone
	}
	return processUnknown
}

// flockFile takes the advisory flock that marks a held lock file as ours
// and alive. It blocks: another process holds it only while checking
// whether the lock is stale, for microseconds.
func flockFile(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}

// tryFlock takes the flock of f if nobody holds it.
func tryFlock(f *os.File) bool {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil
}

// lockMarksOwner: this platform can name a lock's owner and tell it gone.
const lockMarksOwner = true
