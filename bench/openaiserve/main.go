// Command openaiserve runs the loopback OpenAI-compatible test server of
// internal/openaitest as a process, for benchmark scripts: it prints the
// base URL (to use as OPENAI_BASE_URL) on its first line of standard output,
// or writes it to the file -url names, and serves until it is killed. It
// answers every model request at once with a short text, so a script timing
// `git codex reply` measures git codex, not a model.
//
// It is a benchmark helper only; nothing in git codex imports it.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/git-codex/git-codex/internal/openaitest"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "loopback address to listen on")
	urlFile := flag.String("url", "", "write the base URL to this file (written whole, then renamed) instead of standard output")
	chunk := flag.Int("chunk", 1<<10, "bytes of answer text per streamed delta")
	flag.Parse()
	srv, err := openaitest.Serve(*addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "openaiserve:", err)
		os.Exit(1)
	}
	defer srv.Close()
	srv.SetChunkSize(*chunk)
	if *urlFile != "" {
		tmp := *urlFile + ".tmp"
		err := os.WriteFile(tmp, []byte(srv.URL()+"\n"), 0o644)
		if err == nil {
			err = os.Rename(tmp, *urlFile)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "openaiserve: write the URL:", err)
			os.Exit(1)
		}
	} else {
		fmt.Println(srv.URL())
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
}
