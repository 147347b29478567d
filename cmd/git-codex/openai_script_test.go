package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/git-codex/git-codex/internal/openaitest"
)

// openaiKey is the testscript value holding the script's test server.
type openaiKey struct{}

// setupOpenAI starts a loopback OpenAI-compatible server for one script and
// points OPENAI_BASE_URL at it. Scripts steer it with the openai command.
func setupOpenAI(env *testscript.Env) error {
	srv := openaitest.New(nil)
	env.Defer(srv.Close)
	env.Values[openaiKey{}] = srv
	env.Setenv("OPENAI_BASE_URL", srv.URL())
	env.Setenv("OPENAI_PRIMARY_MODEL", "test-model")
	return nil
}

// cmdOpenAI steers the script's test server:
//
//	openai reply TEXT                  queue a scripted answer
//	openai read PATH...                queue an answer that calls read_file on each PATH
//	openai patch OP PATH [DIFF] [-- OP PATH [DIFF]]...
//	                                   queue an answer of apply_patch calls (OP:
//	                                   create_file, update_file, delete_file; "\n" and
//	                                   "\t" in DIFF are a newline and a tab); text if the
//	                                   tool is not offered
//	openai patch-outputs               print the answers to apply_patch calls the
//	                                   server got: "STATUS OUTPUT" a line (chat: "- OUTPUT")
//	openai fault KIND [count=N] [retry-after=S] [after=K]
//	                                   inject a fault (see openaitest.Fault kinds)
//	openai forget                      forget every stored response
//	openai missing MODEL...            make models answer 404 model_not_found
//	openai require-key KEY             demand this API key (401 otherwise)
//	openai usage IN CACHED OUT         fix the usage figures of every answer
//	openai no-responses STATUS         answer POST /v1/responses with STATUS
//	                                   (404, 405; 0 serves it again)
//	openai requests                    print one line per model request:
//	                                   path, model, previous_response_id, input bytes, body bytes
//	openai request N                   print the JSON body of model request N (1-based)
//	openai delay MS                    answer every model request MS milliseconds late
//	openai hold TEXT                   keep the next model request whose body holds TEXT
//	                                   waiting until its client goes away (or release)
//	openai release                     let held requests go on
//	openai await TEXT [N]              wait (up to 30 s) until N (default 1) model
//	                                   requests whose input holds TEXT have arrived
//	openai count TEXT N                exactly N model requests have TEXT in their input
//	openai overlap TEXT1 TEXT2         a request with TEXT1 in its input was being
//	                                   answered while one with TEXT2 was (! : none was)
//	openai before TEXT1 TEXT2          every request with TEXT1 was answered before any
//	                                   with TEXT2 arrived
//	openai timeline                    print when each model request arrived and ended
//	                                   (ms from the first) and the start of its input
func cmdOpenAI(ts *testscript.TestScript, neg bool, args []string) {
	if neg && (len(args) == 0 || args[0] != "overlap") {
		ts.Fatalf("openai: unsupported: !")
	}
	srv, ok := ts.Value(openaiKey{}).(*openaitest.Server)
	if !ok {
		ts.Fatalf("openai: no test server in this script")
	}
	if len(args) == 0 {
		ts.Fatalf("usage: openai reply|read|patch|patch-outputs|fault|forget|missing|require-key|usage|no-responses|requests|request ...")
	}
	switch args[0] {
	case "reply":
		if len(args) != 2 {
			ts.Fatalf("usage: openai reply TEXT")
		}
		srv.Enqueue(openaitest.Reply{Text: strings.ReplaceAll(args[1], `\n`, "\n")})
	case "read":
		if len(args) < 2 {
			ts.Fatalf("usage: openai read PATH...")
		}
		var calls []openaitest.ToolCall
		for _, p := range args[1:] {
			b, _ := json.Marshal(map[string]string{"path": p})
			calls = append(calls, openaitest.ToolCall{Name: "read_file", Arguments: string(b)})
		}
		srv.Enqueue(openaitest.Reply{ToolCalls: calls})
	case "patch":
		var patches []openaitest.Patch
		for rest := args[1:]; len(rest) > 0; {
			op, after, _ := cutArgs(rest, "--")
			if len(op) < 2 || len(op) > 3 {
				ts.Fatalf("usage: openai patch OP PATH [DIFF] [-- OP PATH [DIFF]]...")
			}
			p := openaitest.Patch{Type: op[0], Path: op[1]}
			if len(op) == 3 {
				p.Diff = strings.NewReplacer(`\n`, "\n", `\t`, "\t").Replace(op[2])
			}
			patches = append(patches, p)
			rest = after
		}
		if len(patches) == 0 {
			ts.Fatalf("usage: openai patch OP PATH [DIFF] [-- OP PATH [DIFF]]...")
		}
		srv.Enqueue(openaitest.Reply{Patches: patches})
	case "patch-outputs":
		for _, o := range srv.PatchOutputs() {
			status := o.Status
			if status == "" {
				status = "-"
			}
			fmt.Fprintf(ts.Stdout(), "%s %s\n", status, strings.ReplaceAll(strings.TrimRight(o.Output, "\n"), "\n", `\n`))
		}
	case "fault":
		if len(args) < 2 {
			ts.Fatalf("usage: openai fault KIND [count=N] [retry-after=S] [after=K]")
		}
		f := openaitest.Fault{Kind: args[1]}
		for _, kv := range args[2:] {
			k, v, _ := strings.Cut(kv, "=")
			switch k {
			case "count":
				f.Count = atoi(ts, v)
			case "retry-after":
				f.RetryAfter = v
			case "after":
				f.AfterDeltas = atoi(ts, v)
			default:
				ts.Fatalf("openai fault: unknown option %q", kv)
			}
		}
		srv.Inject(f)
	case "forget":
		srv.Forget()
	case "missing":
		srv.MissingModels(args[1:]...)
	case "require-key":
		if len(args) != 2 {
			ts.Fatalf("usage: openai require-key KEY")
		}
		srv.RequireKey(args[1])
	case "usage":
		if len(args) != 4 {
			ts.Fatalf("usage: openai usage IN CACHED OUT")
		}
		srv.SetUsage(&openaitest.Usage{Input: atoi(ts, args[1]), Cached: atoi(ts, args[2]), Output: atoi(ts, args[3])})
	case "no-responses":
		if len(args) != 2 {
			ts.Fatalf("usage: openai no-responses STATUS")
		}
		srv.DisableResponses(atoi(ts, args[1]))
	case "requests":
		for _, r := range modelRequests(srv) {
			prev, _ := r.JSON["previous_response_id"].(string)
			if prev == "" {
				prev = "-"
			}
			fmt.Fprintf(ts.Stdout(), "%s model=%v prev=%s input=%d body=%d\n",
				r.Path, r.JSON["model"], prev, len(requestInput(r.JSON)), len(r.Body))
		}
	case "request":
		if len(args) != 2 {
			ts.Fatalf("usage: openai request N")
		}
		reqs := modelRequests(srv)
		n := atoi(ts, args[1])
		if n < 1 || n > len(reqs) {
			ts.Fatalf("openai request: %d out of range (1..%d)", n, len(reqs))
		}
		b, err := json.MarshalIndent(reqs[n-1].JSON, "", "  ")
		ts.Check(err)
		fmt.Fprintf(ts.Stdout(), "%s\n", b)
	case "delay":
		if len(args) != 2 {
			ts.Fatalf("usage: openai delay MS")
		}
		srv.SetDelay(time.Duration(atoi(ts, args[1])) * time.Millisecond)
	case "hold":
		if len(args) != 2 {
			ts.Fatalf("usage: openai hold TEXT")
		}
		srv.Hold(args[1])
	case "release":
		srv.Release()
	case "await":
		if len(args) != 2 && len(args) != 3 {
			ts.Fatalf("usage: openai await TEXT [N]")
		}
		n := 1
		if len(args) == 3 {
			n = atoi(ts, args[2])
		}
		deadline := time.Now().Add(30 * time.Second)
		for len(withInput(srv, args[1])) < n {
			if time.Now().After(deadline) {
				ts.Fatalf("openai await: fewer than %d requests with %q in their input after 30s", n, args[1])
			}
			time.Sleep(10 * time.Millisecond)
		}
	case "count":
		if len(args) != 3 {
			ts.Fatalf("usage: openai count TEXT N")
		}
		if got, want := len(withInput(srv, args[1])), atoi(ts, args[2]); got != want {
			ts.Fatalf("openai count: %d model requests have %q in their input, want %d", got, args[1], want)
		}
	case "overlap":
		if len(args) != 3 {
			ts.Fatalf("usage: openai overlap TEXT1 TEXT2")
		}
		found := false
		for _, a := range withInput(srv, args[1]) {
			for _, b := range withInput(srv, args[2]) {
				found = found || (a.Start.Before(ended(b)) && b.Start.Before(ended(a)))
			}
		}
		if found == neg {
			ts.Fatalf("openai overlap: requests with %q and %q overlapped: %v, want %v", args[1], args[2], found, !neg)
		}
	case "before":
		if len(args) != 3 {
			ts.Fatalf("usage: openai before TEXT1 TEXT2")
		}
		as, bs := withInput(srv, args[1]), withInput(srv, args[2])
		if len(as) == 0 || len(bs) == 0 {
			ts.Fatalf("openai before: %d requests with %q, %d with %q", len(as), args[1], len(bs), args[2])
		}
		for _, a := range as {
			for _, b := range bs {
				if !ended(a).Before(b.Start) {
					ts.Fatalf("openai before: a request with %q ended at %s, after one with %q arrived at %s",
						args[1], ended(a).Format("15:04:05.000"), args[2], b.Start.Format("15:04:05.000"))
				}
			}
		}
	case "timeline":
		reqs := modelRequests(srv)
		if len(reqs) == 0 {
			break
		}
		t0 := reqs[0].Start
		for i, r := range reqs {
			fmt.Fprintf(ts.Stdout(), "%2d %6dms %6dms %s\n", i+1, r.Start.Sub(t0).Milliseconds(), ended(r).Sub(t0).Milliseconds(),
				clipInput(requestInput(r.JSON), 60))
		}
	default:
		ts.Fatalf("openai: unknown subcommand %q", args[0])
	}
}

// withInput returns the model requests whose new input holds text.
func withInput(srv *openaitest.Server, text string) []openaitest.Request {
	var out []openaitest.Request
	for _, r := range modelRequests(srv) {
		if strings.Contains(requestInput(r.JSON), text) {
			out = append(out, r)
		}
	}
	return out
}

// ended is when a request was answered; one still being answered counts
// as ending now.
func ended(r openaitest.Request) time.Time {
	if r.End.IsZero() {
		return time.Now()
	}
	return r.End
}

// clipInput is the start of an input on one line.
func clipInput(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

func modelRequests(srv *openaitest.Server) []openaitest.Request {
	var out []openaitest.Request
	for _, r := range srv.Requests() {
		if strings.HasSuffix(r.Path, "/responses") || strings.HasSuffix(r.Path, "/chat/completions") {
			out = append(out, r)
		}
	}
	return out
}

// requestInput is the new input of a request: the Responses input, or the
// last chat message.
func requestInput(body map[string]any) string {
	if in, ok := body["input"].(string); ok {
		return in
	}
	if in, ok := body["input"].([]any); ok {
		b, _ := json.Marshal(in)
		return string(b)
	}
	if msgs, ok := body["messages"].([]any); ok && len(msgs) > 0 {
		if m, ok := msgs[len(msgs)-1].(map[string]any); ok {
			s, _ := m["content"].(string)
			return s
		}
	}
	return ""
}

func atoi(ts *testscript.TestScript, s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		ts.Fatalf("not a number: %q", s)
	}
	return n
}

// cutArgs splits args at the first sep.
func cutArgs(args []string, sep string) (before, after []string, found bool) {
	for i, a := range args {
		if a == sep {
			return args[:i], args[i+1:], true
		}
	}
	return args, nil, false
}
