//go:build unix

package codexcli

import (
	"os"
	"os/exec"
	"syscall"
)

// stopStages is the number of signals watch sends: SIGINT, SIGTERM, SIGKILL.
const stopStages = 3

// ownGroup starts Codex as the leader of a new process group, so that a
// terminal's Ctrl-C reaches git codex only, and git codex decides what Codex
// gets; the group takes Codex's own children along. (Codex 0.169 runs
// sandboxed commands through bubblewrap in a session of their own with
// --die-with-parent: they end with Codex.)
func ownGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// signalGroup sends the stage's signal to Codex's process group.
func signalGroup(p *os.Process, stage int) {
	sig := [stopStages]syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGKILL}[stage]
	_ = syscall.Kill(-p.Pid, sig)
}

// killGroupLeftovers kills whatever is left of Codex's process group after
// Codex itself exited (ESRCH, the usual answer, means nothing is).
func killGroupLeftovers(p *os.Process) {
	_ = syscall.Kill(-p.Pid, syscall.SIGKILL)
}
