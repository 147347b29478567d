package gitstore

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
)

// Lock owners. git's lock-file protocol says nothing about who holds a
// `<ref>.lock`: git writes only the new value into it, just before the
// rename. While git codex holds a lock, the file instead names its owner —
//
//	git-codex lock pid=<pid> host=<host> boot=<boot id> start=<start time>
//
// written under an advisory flock(2) that the owner keeps until the lock is
// renamed over the ref or removed. A lock is provably left behind by a dead
// owner when all of this holds: the flock is free (nobody holds the file),
// the file names an owner on this host, and that process is gone (no such
// pid, or a pid that was reused: another start time or another boot). Only
// such a lock is removed by the next writer (which then does not wait) and
// reported by check as stale at once. A lock without that line — git's own,
// one of an older git codex, or ours cut between its creation and the line,
// or between writing the value and the rename — is waited for and reported
// as before; nobody but its owner removes it. Nothing else reads a lock file's content, so the line is
// invisible to git.

// lockOwnerPrefix starts the owner line of a lock git codex holds.
const lockOwnerPrefix = "git-codex lock "

// lockOwner describes the process holding a lock.
type lockOwner struct {
	PID   int
	Host  string
	Boot  string // /proc/sys/kernel/random/boot_id ("" where unknown)
	Start string // the process's start time since boot, in clock ticks ("" where unknown)
}

func (o lockOwner) String() string {
	return fmt.Sprintf("%spid=%d host=%s boot=%s start=%s\n", lockOwnerPrefix, o.PID, o.Host, o.Boot, o.Start)
}

// parseLockOwner reads an owner line; ok is false for anything else (an
// empty lock, an object id, a torn write).
func parseLockOwner(b []byte) (lockOwner, bool) {
	s, found := strings.CutPrefix(string(b), lockOwnerPrefix)
	if !found || !strings.HasSuffix(s, "\n") || strings.Count(s, "\n") != 1 {
		return lockOwner{}, false
	}
	var o lockOwner
	seen := 0
	for _, f := range strings.Fields(s) {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return lockOwner{}, false
		}
		switch k {
		case "pid":
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 {
				return lockOwner{}, false
			}
			o.PID = n
		case "host":
			o.Host = v
		case "boot":
			o.Boot = v
		case "start":
			o.Start = v
		default:
			continue
		}
		seen++
	}
	if seen != 4 || o.Host == "" {
		return lockOwner{}, false
	}
	return o, true
}

// self is this process as a lock owner, worked out once.
var self = sync.OnceValue(func() lockOwner {
	host, _ := os.Hostname()
	host = strings.Map(func(r rune) rune {
		if r <= ' ' || r == '=' {
			return '_'
		}
		return r
	}, host)
	if host == "" {
		host = "unknown"
	}
	return lockOwner{PID: os.Getpid(), Host: host, Boot: bootID(), Start: startTime(os.Getpid())}
})

// gone reports whether the owner o is provably not running: on this host
// and this boot, its pid names no process, or names one that started at
// another time (the pid was reused). Another boot id under the same host
// name is an earlier boot or another machine of that name sharing the file
// system (cloned VMs, CI runners): unknowable, as any other host.
func (o lockOwner) gone() bool {
	me := self()
	if o.Host != me.Host {
		return false // another machine's process (a shared file system): unknowable
	}
	if o.Boot != me.Boot {
		return false
	}
	switch alive(o.PID) {
	case processGone:
		return true
	case processUnknown:
		return false
	}
	if o.Start == "" {
		return false
	}
	now := startTime(o.PID)
	return now != "" && now != o.Start
}

// Process states as alive reports them.
const (
	processAlive = iota
	processGone
	processUnknown
)
