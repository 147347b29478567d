package mcpserver

import (
	"fmt"
	"reflect"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/git-codex/git-codex/pricing"
)

// instructions is what the server tells the client about itself.
const instructions = `git codex keeps conversations with a colleague model in the git repository, as notes next to the code (refs/notes/codex/<topic>, one topic per branch), so they survive restarts, travel with push and fetch, and feed pull-request descriptions.

Work in sessions: open one per line of work (codex or delegate), then continue it with short follow-ups (codex-reply or reply) that never repeat the context; the model keeps what it learned. Point at files by path instead of pasting them: the model reads ARCHITECTURE.md, AGENTS.md and the repository itself. Open a NEW session instead of replying when the work is unrelated, needs another kind of agent, the session went wrong, or you want a second opinion. End a session with close to store what was found, decided and is next.`

// Continue-or-open rules, repeated where a model decides.
const (
	whenNew = "Open a new session for a new, unrelated task, for another kind of work (review vs. implementation), " +
		"when the current session went wrong or is confused, or for a second opinion from a fresh conversation. " +
		"Do NOT open a new one to go on with the same work: reply to the existing session, which already has the context."
	whenReply = "Continue only related work on the same topic. Do NOT continue when the work is unrelated, needs another " +
		"kind of agent, the session went wrong, or you want a fresh perspective: open a new session instead."
	byReference = "Reference files by path instead of pasting them: the model reads ARCHITECTURE.md, AGENTS.md and the work tree itself."
)

func (s *Server) addTools() {
	readOnly := &mcp.ToolAnnotations{ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: ptr(false)}
	talks := &mcp.ToolAnnotations{OpenWorldHint: ptr(true)}

	addTool(s, &mcp.Tool{
		Name:  "codex",
		Title: "Delegate a task to a colleague model (new session)",
		Description: "Ask a colleague model to work on a task in a NEW git codex session, stored in the git repository of cwd " +
			"(topic: its current branch). Returns the answer and threadId, the session id: pass it to codex-reply to continue. " +
			whenNew + " " + byReference + " Drop-in for the codex tool of Codex's removed MCP server: every argument is accepted; " +
			"those git codex cannot honour (profile, base-instructions, compact-prompt, unknown config keys) are listed in notes.",
		Annotations: talks,
	}, s.codexTool, lenient)

	addTool(s, &mcp.Tool{
		Name:  "codex-reply",
		Title: "Continue a git codex session",
		Description: "Send a follow-up to a git codex session: threadId is what codex returned (or a session id from list; a " +
			"teammate's session fetched with 'git codex sync' works too). Only the new message travels; keep it short: " +
			"'Fix: …', 'Also: …', 'Failed: … Fix.', 'Based on that …'. " + whenReply,
		Annotations: talks,
	}, s.codexReplyTool, lenient)

	addTool(s, &mcp.Tool{
		Name:  "delegate",
		Title: "Open a session with a structured first message",
		Description: "Open a NEW session on a topic (default: the current branch of cwd) with the structured first message: " +
			"Context (file references and focus), Task, Scope, Expected Output, Success Criteria. The new session becomes the " +
			"topic's current one, which reply continues. " + whenNew + " " + byReference,
		Annotations: talks,
	}, s.delegateTool, withPolicyEnums)

	addTool(s, &mcp.Tool{
		Name:  "reply",
		Title: "Continue a session",
		Description: "Send a follow-up to a session: by session id, else the topic's current session (default topic: the " +
			"current branch of cwd). Only the new message travels; keep it short: 'Fix: …', 'Also: …', 'Based on that …'. " +
			whenReply,
		Annotations: talks,
	}, s.replyTool, withPolicyEnums)

	addTool(s, &mcp.Tool{
		Name:  "fix",
		Title: "Run a check; send its failure to the session",
		Description: "Run a verification command in the work tree (tests, lint, build). If it passes, that is recorded; if it " +
			"fails, 'Failed: <command> <output tail>. Fix.' goes to the session (by id, else the topic's current one) and the " +
			"answer comes back. rounds repeats run-and-send. The result is an error while the command still fails. The command runs " +
			"with the rights of the server's user, like any command the caller runs itself.",
		Annotations: talks, // the command runs with the server's rights: not read-only, maybe destructive
	}, s.fixTool, withPolicyEnums)

	addTool(s, &mcp.Tool{
		Name:  "close",
		Title: "Conclude a session",
		Description: "Ask the session for its final summary (what was found, what was decided, what is next), store it with the " +
			"session (pr_summary and list show it) and close the session; file also writes it as markdown. Close a session " +
			"when its line of work is done; a closed session takes no more replies.",
		Annotations: talks,
	}, s.closeTool)

	addTool(s, &mcp.Tool{
		Name:  "list",
		Title: "List sessions",
		Description: "List the sessions stored in the repository of cwd (and those fetched from remotes): topic, status, turns, " +
			"tokens, last activity, sharing, summary. current marks each topic's session that reply continues. Use it to find " +
			"a session to continue before opening a new one.",
		Annotations: readOnly,
	}, s.listTool)

	addTool(s, &mcp.Tool{
		Name:        "show",
		Title:       "Show a session's transcript",
		Description: "One session's transcript (by id, else the topic's current session): every turn with its answer, the commit it is attached to, usage, summaries and events.",
		Annotations: readOnly,
	}, s.showTool)

	addTool(s, &mcp.Tool{
		Name:        "log",
		Title:       "Commits with their conversations",
		Description: fmt.Sprintf("Commits newest first, like git log (default: %d from HEAD), each with the conversation turns attached to it in any topic, also those found again after a rebase, cherry-pick or squash merge.", defaultLogMax),
		Annotations: readOnly,
	}, s.logTool)

	addTool(s, &mcp.Tool{
		Name:  "pr_summary",
		Title: "Describe a branch for a pull request",
		Description: "A pull-request description of base..HEAD: its commits, the sessions attached to them, their summaries, " +
			"decisions and open items, and token totals, as markdown (content) and data (structured). Deterministic: the same " +
			"history gives the same text.",
		Annotations: readOnly,
	}, s.prSummaryTool)

	addTool(s, &mcp.Tool{
		Name:  "stats",
		Title: "Token and byte figures",
		Description: "Per session and topic: input, cached and output tokens, bytes sent, and the saving against one-off " +
			"delegations that would inline the same context every time.",
		Annotations: readOnly,
	}, s.statsTool)
}

// addTool adds a tool whose input schema is In's (mustSchema), changed by
// adjust in turn, and whose output schema is Out's (outSchema): the
// schemas follow the handler's types.
func addTool[In, Out any](s *Server, t *mcp.Tool, h mcp.ToolHandlerFor[In, *Out], adjust ...func(*jsonschema.Schema) *jsonschema.Schema) {
	in := mustSchema[In]()
	for _, f := range adjust {
		in = f(in)
	}
	t.InputSchema, t.OutputSchema = in, outSchema[Out]()
	mcp.AddTool(s.mcp, t, h)
}

// mustSchema is the input schema of T (a struct of arguments): arguments
// it does not name are refused. A list argument is an array, not "array or
// null" as Go's nil slice would have it: some clients refuse a property
// with more than one type.
func mustSchema[T any]() *jsonschema.Schema {
	sch, err := jsonschema.For[T](nil)
	if err != nil {
		panic(fmt.Sprintf("schema of %T: %v", *new(T), err))
	}
	for _, p := range sch.Properties {
		if len(p.Types) == 2 && p.Types[0] == "null" {
			p.Type, p.Types = p.Types[1], nil
		}
	}
	return sch
}

// lenient lets a schema take arguments it does not name: the drop-in tools
// accept what the removed server took, or will take, and report what they
// do not honour.
func lenient(sch *jsonschema.Schema) *jsonschema.Schema {
	sch.AdditionalProperties = nil
	return sch
}

// withPolicyEnums lists the values of the sandbox and approval arguments.
func withPolicyEnums(sch *jsonschema.Schema) *jsonschema.Schema {
	if p := sch.Properties["sandbox"]; p != nil {
		p.Enum = []any{SandboxReadOnly, SandboxWorkspaceWrite}
	}
	if p := sch.Properties["approval"]; p != nil {
		p.Enum = []any{ApprovalUntrusted, ApprovalOnRequest, ApprovalNever}
	}
	return sch
}

// outSchema is the output schema of T, made portable: Go's nil slices,
// maps and pointers give "type": ["null", X], which clients that map tool
// schemas onto a single-type dialect refuse (the MCP Inspector's --strict
// check warns about every one); the same values are allowed as
// anyOf [{"type": "null"}, {"type": X, …}].
func outSchema[T any]() *jsonschema.Schema {
	sch, err := jsonschema.For[T](&jsonschema.ForOptions{TypeSchemas: typeSchemas})
	if err != nil {
		panic(fmt.Sprintf("schema of %T: %v", *new(T), err))
	}
	portable(sch)
	return sch
}

func portable(s *jsonschema.Schema) {
	if s == nil {
		return
	}
	for _, p := range s.Properties {
		portable(p)
	}
	portable(s.Items)
	portable(s.AdditionalProperties)
	if len(s.Types) == 2 && s.Types[0] == "null" {
		branch := *s
		branch.Type, branch.Types, branch.Title, branch.Description = s.Types[1], nil, "", ""
		*s = jsonschema.Schema{Title: s.Title, Description: s.Description, AnyOf: []*jsonschema.Schema{{Type: "null"}, &branch}}
	}
}

func ptr[T any](v T) *T { return &v }

// typeSchemas are the schemas of types that write their own JSON: a cost is
// {"usd": dollars or null when nothing had a price, "unpriced": items
// without a price}, never a zero standing for unknown (pricing.Amount).
var typeSchemas = map[reflect.Type]*jsonschema.Schema{
	reflect.TypeFor[pricing.Amount](): {
		Type: "object",
		Properties: map[string]*jsonschema.Schema{
			"usd":      {AnyOf: []*jsonschema.Schema{{Type: "null"}, {Type: "number"}}, Description: "US dollars; null when no item had a price"},
			"unpriced": {Type: "integer", Description: "items whose model has no price (their cost is unknown)"},
		},
		Required:             []string{"usd"},
		AdditionalProperties: &jsonschema.Schema{Not: &jsonschema.Schema{}},
	},
}
