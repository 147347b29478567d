package main

import (
	"math"
	"os"
	"os/exec"
	"runtime/metrics"
	"strings"
	"testing"
	"time"
)

// TestCollectLater runs collectLater in a process of its own (the test
// binary again) and reads the collector's settings there: off under a
// 32 MiB memory limit (startupMemory), no collection while the heap stays small, and Go's
// usual pacing back once the first collection ran; GOGC or GOMEMLIMIT in
// the environment are left as they say.
func TestCollectLater(t *testing.T) {
	if os.Getenv("GIT_CODEX_TEST_COLLECT") == "1" {
		collectLaterChild(t)
		return
	}
	tests := []struct {
		name, env string
	}{
		{"default", ""},
		{"GOGC set", "GOGC=50"},
		{"GOMEMLIMIT set", "GOMEMLIMIT=1GiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run", "^TestCollectLater$", "-test.v")
			for _, kv := range os.Environ() {
				if !strings.HasPrefix(kv, "GOGC=") && !strings.HasPrefix(kv, "GOMEMLIMIT=") {
					cmd.Env = append(cmd.Env, kv)
				}
			}
			cmd.Env = append(cmd.Env, "GIT_CODEX_TEST_COLLECT=1")
			if tt.env != "" {
				cmd.Env = append(cmd.Env, tt.env)
			}
			if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "--- PASS: TestCollectLater") {
				t.Fatalf("child: %v\n%s", err, out)
			}
		})
	}
}

// collectLaterChild is TestCollectLater in the child process.
func collectLaterChild(t *testing.T) {
	read := func() (gogc, limit, cycles uint64) {
		s := []metrics.Sample{{Name: "/gc/gogc:percent"}, {Name: "/gc/gomemlimit:bytes"}, {Name: "/gc/cycles/total:gc-cycles"}}
		metrics.Read(s)
		return s[0].Value.Uint64(), s[1].Value.Uint64(), s[2].Value.Uint64()
	}
	gogc0, limit0, _ := read()
	collectLater()
	gogc, limit, before := read()
	switch {
	case os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "":
		if gogc != gogc0 || limit != limit0 {
			t.Fatalf("GOGC=%q GOMEMLIMIT=%q: collectLater changed the collector to GOGC %d, limit %d (was %d, %d)",
				os.Getenv("GOGC"), os.Getenv("GOMEMLIMIT"), gogc, limit, gogc0, limit0)
		}
		return
	case limit != startupMemory:
		t.Fatalf("memory limit %d, want %d", limit, startupMemory)
	}
	// Megabytes of garbage, more than the 4 MB heap goal Go starts with:
	// no collection.
	var sink [][]byte
	for i := 0; i < 192; i++ {
		sink = append(sink, make([]byte, 32<<10))
		sink = sink[:0]
	}
	if _, _, n := read(); n != before {
		t.Fatalf("%d collections under the limit, want none", n-before)
	}
	// Past the limit: the first collection runs and restores the pacing.
	for i := 0; i < 1024; i++ {
		sink = append(sink, make([]byte, 64<<10))
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		gogc, limit, n := read()
		if gogc == 100 && limit == math.MaxInt64 && n > before {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %d collections: GOGC %d, memory limit %d; want 100 and none", n-before, gogc, limit)
		}
		time.Sleep(time.Millisecond)
	}
	if len(sink) != 1024 {
		t.Fatal("the heap was not held")
	}
}
