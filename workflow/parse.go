package workflow

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	yaml "github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// Policy says what a failed step does to the run (when_failed).
type Policy string

// The when_failed values.
const (
	// Stop starts no new step; running steps finish. The default.
	Stop Policy = "stop"
	// Continue skips the steps that wait for the failed one, transitively,
	// and runs the others.
	Continue Policy = "continue"
	// Retry runs the step again, up to Retries more times; when the last
	// attempt fails too, the run stops as with Stop.
	Retry Policy = "retry"
)

// The sandbox values (Codex's own names).
const (
	SandboxReadOnly       = "read-only"
	SandboxWorkspaceWrite = "workspace-write"
)

// Engines lists the engine names a step may ask for.
var Engines = []string{"responses", "chat", "codex"}

// Defaults and bounds of the numeric fields.
const (
	DefaultMax     = 1  // fix rounds of a step with a check
	DefaultRetries = 2  // extra attempts of a step with when_failed: retry
	MaxRetries     = 10 // the most retries a step may ask for
)

// Workflow is a parsed and validated workflow file.
type Workflow struct {
	// File is the path the workflow was read from, as given.
	File string
	// Name is the name: field, or Base when there is none.
	Name string
	// Base is the file's base name without its extension; it is the middle
	// part of the default topics, <branch>/<Base>/<id>.
	Base string
	// Context lists files every step references (besides the engine's
	// default context files).
	Context []string
	// Steps in file order.
	Steps []*Step
	// Warnings are problems that do not stop the workflow from running.
	Warnings ErrorList

	index map[string]int
	deps  [][]int  // direct dependencies, by index
	reach []bitset // transitive dependencies, by index
}

// Step is one step of a workflow.
type Step struct {
	ID string
	// Topic is the topic as written; empty means the default (Workflow.Topic).
	Topic string
	// The structured first message (SPEC §1); a step that replies sends
	// Task alone as its follow-up.
	Task, Focus, Scope, Expect, Criteria Template
	// After lists the steps this one waits for, as written.
	After []string
	// ReplyTo names the step whose session this one continues; it implies
	// After.
	ReplyTo string
	// Check is a verification command: nil for none; one element is run by
	// the shell, more are a program and its arguments.
	Check []string
	// Max is the number of fix rounds when Check is set (DefaultMax when not
	// written), 0 without a check.
	Max int
	// Sandbox is SandboxReadOnly, SandboxWorkspaceWrite, or "" for the
	// configured default.
	Sandbox string
	// Model and Engine override the configured ones; "" keeps them.
	Model, Engine string
	// WhenFailed is Stop unless written.
	WhenFailed Policy
	// Retries is the number of extra attempts with Retry (DefaultRetries
	// when not written), 0 otherwise.
	Retries int
	// Pos is where the step starts in the file.
	Pos Pos

	keyPos   map[string]Pos // value position of each key written
	afterPos []Pos
}

// Texts returns the step's text fields by name, for rendering and checks.
func (s *Step) Texts() map[string]Template {
	return map[string]Template{"task": s.Task, "focus": s.Focus, "scope": s.Scope, "expect": s.Expect, "criteria": s.Criteria}
}

// Step returns the step with the given id, or nil.
func (w *Workflow) Step(id string) *Step {
	i, ok := w.index[id]
	if !ok {
		return nil
	}
	return w.Steps[i]
}

// Deps returns the ids of the steps id waits for directly (After and
// ReplyTo), in file order.
func (w *Workflow) Deps(id string) []string {
	i, ok := w.index[id]
	if !ok {
		return nil
	}
	out := make([]string, len(w.deps[i]))
	for k, d := range w.deps[i] {
		out[k] = w.Steps[d].ID
	}
	return out
}

// Waits reports whether step a waits for step b, directly or through other
// steps.
func (w *Workflow) Waits(a, b string) bool {
	i, ok1 := w.index[a]
	j, ok2 := w.index[b]
	return ok1 && ok2 && w.reach[i].has(j)
}

// ParseFile reads and parses a workflow file.
func ParseFile(path string) (*Workflow, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read workflow: %w", err)
	}
	return Parse(path, src)
}

// Parse reads a workflow from src; file names it in errors and gives the
// default name and topics. Every problem found is returned at once, as an
// ErrorList (which wraps ErrInvalid) with line and column; nothing in the
// file is used when there is one.
func Parse(file string, src []byte) (*Workflow, error) {
	e := &errs{file: file}
	base := strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	if file == "" {
		base = ""
	}
	f, err := parser.ParseBytes(src, 0)
	if err != nil {
		var ye yaml.Error
		if errors.As(err, &ye) && ye.GetToken() != nil {
			p := ye.GetToken().Position
			e.add(Pos{p.Line, p.Column}, "%s", ye.GetMessage())
		} else {
			e.add(Pos{1, 1}, "%v", err)
		}
		return nil, e.err()
	}
	r := &reader{e: e, src: newSource(src), anchors: map[string]ast.Node{}}
	var body ast.Node
	for _, d := range f.Docs {
		if d.Body == nil {
			continue
		}
		if body != nil {
			e.add(r.start(d.Body), "a workflow file holds one YAML document; this is a second one")
			break
		}
		body = d.Body
	}
	if body == nil {
		e.add(Pos{1, 1}, "empty workflow file: want name, context and steps")
		return nil, e.err()
	}
	r.collectAnchors(body)
	w := r.workflow(body)
	w.File, w.Base = file, base
	if w.Name == "" {
		w.Name = base
	}
	if w.Base == "" {
		w.Base = w.Name
	}
	w.link(e)
	if err := e.err(); err != nil {
		return nil, err
	}
	return w, nil
}

// reader turns the YAML tree into a Workflow, collecting problems.
type reader struct {
	e       *errs
	src     *source
	anchors map[string]ast.Node
}

type entry struct {
	key    string
	keyPos Pos
	value  ast.Node
}

var (
	topKeys  = []string{"name", "context", "steps"}
	stepKeys = []string{"id", "topic", "task", "focus", "scope", "expect", "criteria", "after", "reply_to",
		"check", "max", "sandbox", "model", "engine", "when_failed", "retries"}
)

func (r *reader) workflow(n ast.Node) *Workflow {
	w := &Workflow{}
	entries, ok := r.mapping(n, "a workflow file")
	if !ok {
		return w
	}
	var stepsNode ast.Node
	for _, en := range entries {
		switch en.key {
		case "name":
			w.Name, _ = r.text(en.value, "name", false)
		case "context":
			w.Context, _, _ = r.strings(en.value, "context", "a file name")
		case "steps":
			stepsNode = en.value
		default:
			r.e.add(en.keyPos, "unknown key %q; a workflow has name, context and steps%s", en.key, suggest(en.key, topKeys))
		}
	}
	if stepsNode == nil {
		r.e.add(r.start(n), "missing steps: a workflow needs at least one step")
		return w
	}
	v := r.deref(stepsNode)
	seq, ok := v.(*ast.SequenceNode)
	if !ok {
		r.e.add(r.pos(v), "steps: want a list of steps, got %s", kindOf(v))
		return w
	}
	if len(seq.Values) == 0 {
		r.e.add(r.pos(seq), "steps: the list is empty; a workflow needs at least one step")
	}
	seen := map[string]Pos{}
	for _, sn := range seq.Values {
		s := r.step(sn)
		if s == nil {
			continue
		}
		if s.ID != "" {
			if first, dup := seen[s.ID]; dup {
				r.e.add(s.keyPos["id"], "duplicate step id %q (first at %s)", s.ID, first)
				continue
			}
			seen[s.ID] = s.keyPos["id"]
		}
		w.Steps = append(w.Steps, s)
	}
	return w
}

func (r *reader) step(n ast.Node) *Step {
	entries, ok := r.mapping(n, "a step")
	if !ok {
		return nil
	}
	s := &Step{Pos: r.start(n), keyPos: map[string]Pos{}, WhenFailed: Stop}
	retries, max := -1, -1
	for _, en := range entries {
		vp := r.pos(r.deref(en.value))
		s.keyPos[en.key] = vp
		switch en.key {
		case "id":
			if id, ok := r.text(en.value, "id", false); ok {
				if !validID(id) {
					r.e.add(vp, "id %q: use letters, digits, _ and -, starting with a letter or _ (at most 64)", id)
				}
				s.ID = id
			}
		case "topic":
			s.Topic, _ = r.text(en.value, "topic", false)
		case "task", "focus", "scope", "expect", "criteria":
			t, ok := r.text(en.value, en.key, en.key != "task")
			if !ok {
				continue
			}
			tpl := parseTemplate(t, r.locator(en.value), r.e)
			switch en.key {
			case "task":
				if strings.TrimSpace(t) == "" {
					r.e.add(vp, "task is empty")
				}
				s.Task = tpl
			case "focus":
				s.Focus = tpl
			case "scope":
				s.Scope = tpl
			case "expect":
				s.Expect = tpl
			case "criteria":
				s.Criteria = tpl
			}
		case "after":
			s.After, s.afterPos, _ = r.strings(en.value, "after", "a step id")
		case "reply_to":
			s.ReplyTo, _ = r.text(en.value, "reply_to", false)
		case "check":
			s.Check = r.check(en.value)
		case "max":
			max, _ = r.integer(en.value, "max", 1, 1000)
		case "retries":
			retries, _ = r.integer(en.value, "retries", 1, MaxRetries)
		case "sandbox":
			if v, ok := r.text(en.value, "sandbox", false); ok {
				if v != SandboxReadOnly && v != SandboxWorkspaceWrite {
					r.e.add(vp, "sandbox %q: want read-only or workspace-write%s", v, suggest(v, []string{SandboxReadOnly, SandboxWorkspaceWrite}))
				}
				s.Sandbox = v
			}
		case "model":
			s.Model, _ = r.text(en.value, "model", false)
		case "engine":
			if v, ok := r.text(en.value, "engine", false); ok {
				if !contains(Engines, v) {
					r.e.add(vp, "engine %q: want one of %s%s", v, strings.Join(Engines, ", "), suggest(v, Engines))
				}
				s.Engine = v
			}
		case "when_failed":
			if v, ok := r.text(en.value, "when_failed", false); ok {
				p := Policy(v)
				if p != Stop && p != Continue && p != Retry {
					r.e.add(vp, "when_failed %q: want stop, continue or retry%s", v, suggest(v, []string{"stop", "continue", "retry"}))
				}
				s.WhenFailed = p
			}
		default:
			r.e.add(en.keyPos, "unknown key %q in a step%s", en.key, suggest(en.key, stepKeys))
		}
	}
	if _, ok := s.keyPos["id"]; !ok {
		r.e.add(s.Pos, "step without id: every step needs an id")
	}
	if _, ok := s.keyPos["task"]; !ok {
		r.e.add(s.Pos, "step %s without task: every step needs a task", quoteOr(s.ID, "?"))
	}
	switch {
	case max >= 0 && s.Check == nil:
		if _, written := s.keyPos["check"]; !written {
			r.e.add(s.keyPos["max"], "max without check: max is the number of fix rounds of a check")
		}
	case s.Check != nil:
		s.Max = DefaultMax
		if max > 0 {
			s.Max = max
		}
	}
	switch {
	case retries >= 0 && s.WhenFailed != Retry:
		r.e.add(s.keyPos["retries"], "retries without when_failed: retry")
	case s.WhenFailed == Retry:
		s.Retries = DefaultRetries
		if retries > 0 {
			s.Retries = retries
		}
	}
	if _, ok := s.keyPos["topic"]; ok && s.ReplyTo != "" {
		r.e.add(s.keyPos["topic"], "topic with reply_to: a step that replies continues the session of %q on its topic", s.ReplyTo)
	}
	return s
}

// check reads a command: a string (run by the shell) or a list (argv).
func (r *reader) check(n ast.Node) []string {
	v := r.deref(n)
	if _, ok := v.(*ast.SequenceNode); ok {
		argv, _, ok := r.strings(n, "check", "a program or argument")
		if ok && len(argv) == 0 {
			r.e.add(r.pos(v), "check: the command is empty")
			return nil
		}
		return argv
	}
	s, ok := r.text(n, "check", false)
	if !ok {
		return nil
	}
	if strings.TrimSpace(s) == "" {
		r.e.add(r.pos(v), "check: the command is empty")
		return nil
	}
	return []string{s}
}

// deref follows anchors, aliases and tags to the node that holds the value.
func (r *reader) deref(n ast.Node) ast.Node {
	for i := 0; i < 100 && n != nil; i++ {
		switch v := n.(type) {
		case *ast.AnchorNode:
			n = v.Value
		case *ast.AliasNode:
			target, ok := r.anchors[v.Value.GetToken().Value]
			if !ok {
				return n
			}
			n = target
		case *ast.TagNode:
			return n
		default:
			return n
		}
	}
	return n
}

func (r *reader) collectAnchors(n ast.Node) {
	ast.Walk(visitor(func(n ast.Node) {
		if a, ok := n.(*ast.AnchorNode); ok {
			r.anchors[a.Name.GetToken().Value] = a.Value
		}
	}), n)
}

type visitor func(ast.Node)

func (v visitor) Visit(n ast.Node) ast.Visitor {
	v(n)
	return v
}

// mapping returns the entries of a mapping, merge keys (<<) expanded: keys
// written in the mapping win over merged ones.
func (r *reader) mapping(n ast.Node, what string) ([]entry, bool) {
	v := r.deref(n)
	m, ok := v.(*ast.MappingNode)
	if !ok {
		r.e.add(r.pos(v), "%s: want a mapping of keys to values, got %s", what, kindOf(v))
		return nil, false
	}
	var own, merged []entry
	for _, mv := range m.Values {
		if _, ok := mv.Key.(*ast.MergeKeyNode); ok {
			for _, src := range r.mergeSources(mv.Value) {
				sub, ok := r.mapping(src, "a merge (<<)")
				if ok {
					merged = append(merged, sub...)
				}
			}
			continue
		}
		k := r.deref(mv.Key)
		key, ok := scalarString(k)
		if !ok {
			r.e.add(r.pos(k), "%s: keys are names, got %s", what, kindOf(k))
			continue
		}
		own = append(own, entry{key: key, keyPos: r.pos(k), value: mv.Value})
	}
	out := own
	for _, en := range merged {
		if !hasKey(out, en.key) {
			out = append(out, en)
		}
	}
	return out, true
}

func (r *reader) mergeSources(n ast.Node) []ast.Node {
	if seq, ok := r.deref(n).(*ast.SequenceNode); ok {
		return seq.Values
	}
	return []ast.Node{n}
}

func hasKey(es []entry, k string) bool {
	for _, e := range es {
		if e.key == k {
			return true
		}
	}
	return false
}

// text reads a string value; empty is allowed only when mayBeEmpty.
func (r *reader) text(n ast.Node, key string, mayBeEmpty bool) (string, bool) {
	v := r.deref(n)
	s, ok := scalarString(v)
	if !ok {
		r.e.add(r.pos(v), "%s: want text, got %s", key, kindOf(v))
		return "", false
	}
	if s == "" && !mayBeEmpty {
		r.e.add(r.pos(v), "%s is empty", key)
		return "", false
	}
	return s, true
}

// strings reads one string or a list of strings.
func (r *reader) strings(n ast.Node, key, item string) ([]string, []Pos, bool) {
	v := r.deref(n)
	if seq, ok := v.(*ast.SequenceNode); ok {
		out, pos := []string{}, []Pos{}
		good := true
		for _, it := range seq.Values {
			iv := r.deref(it)
			s, ok := scalarString(iv)
			if !ok || s == "" {
				r.e.add(r.pos(iv), "%s: want %s, got %s", key, item, kindOf(iv))
				good = false
				continue
			}
			out = append(out, s)
			pos = append(pos, r.pos(iv))
		}
		return out, pos, good
	}
	s, ok := scalarString(v)
	if !ok || s == "" {
		r.e.add(r.pos(v), "%s: want %s or a list of them, got %s", key, item, kindOf(v))
		return nil, nil, false
	}
	return []string{s}, []Pos{r.pos(v)}, true
}

// integer reads a whole number in [lo, hi].
func (r *reader) integer(n ast.Node, key string, lo, hi int) (int, bool) {
	v := r.deref(n)
	var x int64
	switch in := v.(type) {
	case *ast.IntegerNode:
		switch val := in.Value.(type) {
		case int64:
			x = val
		case uint64:
			x = int64(min(val, 1<<62))
		}
	case *ast.FloatNode:
		// JSON Schema counts 2.0 as an integer; so do we.
		if in.Value != math.Trunc(in.Value) || math.Abs(in.Value) > 1<<62 {
			r.e.add(r.pos(v), "%s: want a whole number, got %v", key, in.Value)
			return -1, false
		}
		x = int64(in.Value)
	default:
		r.e.add(r.pos(v), "%s: want a whole number, got %s", key, kindOf(v))
		return -1, false
	}
	if x < int64(lo) || x > int64(hi) {
		r.e.add(r.pos(v), "%s: %d is out of range %d to %d", key, x, lo, hi)
		return -1, false
	}
	return int(x), true
}

// scalarString returns the text of a string scalar (plain, quoted, block,
// or tagged !!str).
func scalarString(n ast.Node) (string, bool) {
	switch v := n.(type) {
	case *ast.StringNode:
		return v.Value, true
	case *ast.LiteralNode:
		return v.Value.Value, true
	case *ast.TagNode:
		if v.Start.Value == "!!str" && v.Value != nil {
			if s, ok := scalarString(v.Value); ok {
				return s, true
			}
			return v.Value.GetToken().Value, true
		}
	}
	return "", false
}

// kindOf names a node's kind the way JSON Schema does.
func kindOf(n ast.Node) string {
	switch v := n.(type) {
	case nil, *ast.NullNode:
		return "nothing (null)"
	case *ast.StringNode, *ast.LiteralNode:
		return "text"
	case *ast.IntegerNode, *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		return "a number"
	case *ast.BoolNode:
		return "a boolean"
	case *ast.MappingNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.TagNode:
		return "a value tagged " + v.Start.Value
	case *ast.AliasNode:
		return "an unknown alias *" + v.Value.GetToken().Value
	default:
		return "a " + strings.ToLower(n.Type().String())
	}
}

func (r *reader) pos(n ast.Node) Pos {
	if n == nil || n.GetToken() == nil {
		return Pos{}
	}
	p := n.GetToken().Position
	return Pos{p.Line, p.Column}
}

// start is where a node begins: a mapping's first key rather than its first
// colon.
func (r *reader) start(n ast.Node) Pos {
	v := r.deref(n)
	if m, ok := v.(*ast.MappingNode); ok && len(m.Values) > 0 && !m.IsFlowStyle {
		return r.pos(m.Values[0].Key)
	}
	return r.pos(v)
}

// locator returns, for a text value, the position of its k-th "{{" in the
// file (its own position when it cannot be found, e.g. behind escapes).
func (r *reader) locator(n ast.Node) func(k int) Pos {
	v := r.deref(n)
	start := r.pos(v)
	return func(k int) Pos {
		if k < 0 {
			return start
		}
		off := r.src.offset(start)
		if off < 0 {
			return start
		}
		for i := 0; ; i++ {
			j := strings.Index(string(r.src.b[off:]), "{{")
			if j < 0 {
				return start
			}
			if i == k {
				return r.src.pos(off + j)
			}
			off += j + 2
		}
	}
}

// source maps between byte offsets and line/column positions.
type source struct {
	b     []byte
	lines []int // byte offset of each line start
}

func newSource(b []byte) *source {
	s := &source{b: b, lines: []int{0}}
	for i, c := range b {
		if c == '\n' {
			s.lines = append(s.lines, i+1)
		}
	}
	return s
}

// offset returns the byte offset of p (column in characters), or -1.
func (s *source) offset(p Pos) int {
	if p.Line < 1 || p.Line > len(s.lines) {
		return -1
	}
	off := s.lines[p.Line-1]
	for c := 1; c < p.Col && off < len(s.b) && s.b[off] != '\n'; c++ {
		_, size := utf8.DecodeRune(s.b[off:])
		off += size
	}
	return off
}

func (s *source) pos(off int) Pos {
	line := 0
	for line+1 < len(s.lines) && s.lines[line+1] <= off {
		line++
	}
	return Pos{line + 1, utf8.RuneCount(s.b[s.lines[line]:off]) + 1}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func quoteOr(s, alt string) string {
	if s == "" {
		return alt
	}
	return strconv.Quote(s)
}
