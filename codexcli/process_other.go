//go:build !unix

package codexcli

import (
	"os"
	"os/exec"
)

// stopStages is the number of steps watch takes: interrupt, then kill.
const stopStages = 2

// ownGroup does nothing where there are no process groups.
func ownGroup(*exec.Cmd) {}

// signalGroup interrupts Codex, then kills it.
func signalGroup(p *os.Process, stage int) {
	if stage == 0 && p.Signal(os.Interrupt) == nil {
		return
	}
	_ = p.Kill()
}

// killGroupLeftovers has no group to clean up.
func killGroupLeftovers(*os.Process) {}
