package codexcli_test

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
)

// Variables that turn the test binary into a fake Codex CLI replaying a
// recording (see fakeCodex).
const (
	fakeStream   = "CODEXCLI_FAKE_STREAM"   // the recording to replay
	fakeLog      = "CODEXCLI_FAKE_LOG"      // where to write the args and stdin received
	fakeChild    = "CODEXCLI_FAKE_CHILD"    // where to write the pid of a child left running
	fakeStubborn = "CODEXCLI_FAKE_STUBBORN" // "1": ignore SIGINT and SIGTERM
)

func TestMain(m *testing.M) {
	if os.Getenv(fakeStream) != "" {
		os.Exit(fakeCodex())
	}
	if os.Getenv(fakeMCP) == "1" {
		os.Exit(mcpServer())
	}
	os.Exit(m.Run())
}

// fakeLogEntry is what the fake received.
type fakeLogEntry struct {
	Args  []string `json:"args"`
	Stdin string   `json:"stdin"`
	Dir   string   `json:"dir"`
}

// fakeCodex replays a recording as Codex printed it: stderr, the stdout
// lines (the work tree placeholder replaced by its working directory), the
// exit code. For an interrupted recording it starts a child that would
// outlive it, then waits for the signal that interrupted Codex and exits 1
// as Codex does.
func fakeCodex() int {
	a, err := txtar.ParseFile(os.Getenv(fakeStream))
	if err != nil {
		fmt.Fprintln(os.Stderr, "fake codex:", err)
		return 99
	}
	files := map[string]string{}
	for _, f := range a.Files {
		files[f.Name] = string(f.Data)
	}
	var meta recordedRequest
	if err := json.Unmarshal([]byte(files["request.json"]), &meta); err != nil {
		fmt.Fprintln(os.Stderr, "fake codex: request.json:", err)
		return 99
	}
	cwd, _ := os.Getwd()
	if p := os.Getenv(fakeLog); p != "" {
		stdin, _ := io.ReadAll(os.Stdin)
		b, _ := json.Marshal(fakeLogEntry{Args: os.Args[1:], Stdin: string(stdin), Dir: cwd})
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return 99
		}
	}
	if meta.Interrupt {
		// A stray grandchild: it ignores SIGINT (inherited from here while
		// the fake ignores it) and holds Codex's stdout.
		signal.Ignore(syscall.SIGINT)
		child := exec.Command("sleep", "300")
		child.Stdout = os.Stdout
		if err := child.Start(); err != nil {
			return 99
		}
		if p := os.Getenv(fakeChild); p != "" {
			_ = os.WriteFile(p, []byte(strconv.Itoa(child.Process.Pid)), 0o644)
		}
	}
	sig := make(chan os.Signal, 1)
	if meta.Interrupt && os.Getenv(fakeStubborn) == "1" {
		signal.Ignore(syscall.SIGTERM)
	} else {
		signal.Notify(sig, syscall.SIGINT)
	}
	os.Stderr.WriteString(files["stderr"])
	for _, line := range strings.SplitAfter(files["stdout"], "\n") {
		os.Stdout.WriteString(strings.ReplaceAll(line, workTree, cwd))
	}
	if meta.Interrupt {
		<-sig
		return 1
	}
	code, err := strconv.Atoi(strings.TrimSpace(files["exit"]))
	if err != nil {
		return 99
	}
	return code
}
