package worktree

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/git-codex/git-codex/redact"
)

// Tool names, as the model sees them.
const (
	ToolReadFile   = "read_file"
	ToolListDir    = "list_dir"
	ToolSearchText = "search_text"
	ToolGitLog     = "git_log"
)

// ErrUnknownTool is returned (wrapped) by Call for a tool name it does not offer.
var ErrUnknownTool = errors.New("unknown tool")

// ErrBadArguments is returned (wrapped) by Call when the arguments are not
// the JSON object the tool's schema describes.
var ErrBadArguments = errors.New("bad tool arguments")

// Defaults for ToolOptions.
const (
	DefaultMaxReadBytes = 64 << 10
	DefaultMaxResults   = 50
	maxResultsCeiling   = 500
	maxListEntries      = 1000
	maxSearchFileBytes  = 1 << 20
	maxLineBytes        = 2000
	defaultGitLogN      = 20
	maxGitLogN          = 200
	sniffBytes          = 8000
)

// ToolOptions configures Tools. Zero values mean the defaults.
type ToolOptions struct {
	// MaxReadBytes caps one tool result (default 64 KiB). A file larger than
	// this is refused unless a line range is asked for.
	MaxReadBytes int
	// MaxResults caps search_text matches (default 50).
	MaxResults int
	// GitLog returns the history of path ("" = the whole repository), at
	// most n commits. It is injected by the session engine; when nil the
	// git_log tool is not offered.
	GitLog func(ctx context.Context, path string, n int) (string, error)
}

// ToolSpec describes one tool to the model: its name, what it does and a
// JSON Schema of its arguments.
type ToolSpec struct {
	Name        string
	Description string
	Parameters  json.RawMessage
}

// Tools are the read-only file tools the model may call, confined to one
// work tree. A Tools is safe for concurrent use.
type Tools struct {
	root string // real absolute path of the work tree
	opts ToolOptions
}

// NewTools returns the tools for the work tree at root (absolute; symlinks
// in it are resolved once here).
func NewTools(root string, opts ToolOptions) (*Tools, error) {
	real, err := realRoot(root)
	if err != nil {
		return nil, err
	}
	if opts.MaxReadBytes <= 0 {
		opts.MaxReadBytes = DefaultMaxReadBytes
	}
	if opts.MaxResults <= 0 {
		opts.MaxResults = DefaultMaxResults
	}
	return &Tools{root: real, opts: opts}, nil
}

// Specs returns the tools on offer, in a fixed order so that requests stay
// byte-identical across a session. The texts are terse because they are
// re-sent with every request; the instruction block says once that paths are
// relative to the repository root, and refusals explain themselves.
func (t *Tools) Specs() []ToolSpec {
	specs := []ToolSpec{
		{
			Name:        ToolReadFile,
			Description: fmt.Sprintf("Read a text file with line numbers. Over %d bytes, read ranges: start_line, end_line (1-based, inclusive).", t.opts.MaxReadBytes),
			Parameters: json.RawMessage(`{"type":"object","properties":{` +
				`"path":{"type":"string"},"start_line":{"type":"integer"},"end_line":{"type":"integer"}},` +
				`"required":["path"]}`),
		},
		{
			Name:        ToolListDir,
			Description: `List a directory (default "."); subdirectories end in /, files show their size.`,
			Parameters:  json.RawMessage(`{"type":"object","properties":{"path":{"type":"string"}}}`),
		},
		{
			Name: ToolSearchText,
			Description: fmt.Sprintf(`Search text files under path (default ".") for an RE2 pattern, or literal text if literal; `+
				`prints path:line: text, at most max_results (default %d) matches.`, t.opts.MaxResults),
			Parameters: json.RawMessage(`{"type":"object","properties":{` +
				`"pattern":{"type":"string"},"literal":{"type":"boolean"},"path":{"type":"string"},"max_results":{"type":"integer"}},` +
				`"required":["pattern"]}`),
		},
	}
	if t.opts.GitLog != nil {
		specs = append(specs, ToolSpec{
			Name:        ToolGitLog,
			Description: fmt.Sprintf("Recent commits, newest first: the last n (default %d), only those touching path if given.", defaultGitLogN),
			Parameters:  json.RawMessage(`{"type":"object","properties":{"path":{"type":"string"},"n":{"type":"integer"}}}`),
		})
	}
	return specs
}

// Call runs the named tool with its JSON arguments and returns its result,
// with secrets redacted. Refusals come back as errors wrapping ErrRefused,
// ErrNotFound, ErrUnknownTool or ErrBadArguments; their messages are meant to
// be shown to the model so that it can correct itself.
func (t *Tools) Call(ctx context.Context, name, argsJSON string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	var out string
	var err error
	switch name {
	case ToolReadFile:
		var a struct {
			Path      string `json:"path"`
			StartLine int    `json:"start_line"`
			EndLine   int    `json:"end_line"`
		}
		if err = decodeArgs(name, argsJSON, &a); err == nil {
			out, err = t.readFile(a.Path, a.StartLine, a.EndLine)
		}
	case ToolListDir:
		var a struct {
			Path string `json:"path"`
		}
		if err = decodeArgs(name, argsJSON, &a); err == nil {
			out, err = t.listDir(a.Path)
		}
	case ToolSearchText:
		var a struct {
			Pattern    string `json:"pattern"`
			Literal    bool   `json:"literal"`
			Path       string `json:"path"`
			MaxResults int    `json:"max_results"`
		}
		if err = decodeArgs(name, argsJSON, &a); err == nil {
			out, err = t.searchText(ctx, a.Pattern, a.Literal, a.Path, a.MaxResults)
		}
	case ToolGitLog:
		if t.opts.GitLog == nil {
			return "", fmt.Errorf("call %s: %w (offered: %s)", name, ErrUnknownTool, t.names())
		}
		var a struct {
			Path string `json:"path"`
			N    int    `json:"n"`
		}
		if err = decodeArgs(name, argsJSON, &a); err == nil {
			out, err = t.gitLog(ctx, a.Path, a.N)
		}
	default:
		return "", fmt.Errorf("call %q: %w (offered: %s)", name, ErrUnknownTool, t.names())
	}
	if err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	return redact.String(out), nil
}

func (t *Tools) names() string {
	var n []string
	for _, s := range t.Specs() {
		n = append(n, s.Name)
	}
	return strings.Join(n, ", ")
}

func decodeArgs(name, argsJSON string, v any) error {
	if strings.TrimSpace(argsJSON) == "" {
		argsJSON = "{}"
	}
	if err := json.Unmarshal([]byte(argsJSON), v); err != nil {
		return fmt.Errorf("%w: %v", ErrBadArguments, err)
	}
	return nil
}

// readFile returns lines [start, end] of the file with line numbers.
func (t *Tools) readFile(p string, start, end int) (string, error) {
	if strings.TrimSpace(p) == "" {
		return "", fmt.Errorf("%w: path is required", ErrBadArguments)
	}
	rel, real, err := resolveIn(t.root, p)
	if err != nil {
		return "", err
	}
	fi, err := os.Stat(real)
	if err != nil {
		return "", fmt.Errorf("stat %s: %w", rel, err)
	}
	if fi.IsDir() {
		return "", fmt.Errorf("%w: %s is a directory; use list_dir", ErrRefused, rel)
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("%w: %s is not a regular file", ErrRefused, rel)
	}
	if start < 0 || end < 0 || (end > 0 && start > end) {
		return "", fmt.Errorf("%w: bad line range %d-%d", ErrBadArguments, start, end)
	}
	ranged := start > 0 || end > 0
	if !ranged && fi.Size() > int64(t.opts.MaxReadBytes) {
		return "", fmt.Errorf("%w: %s is %d bytes, over the %d-byte cap; read it in parts with start_line and end_line (e.g. start_line=1, end_line=400)",
			ErrRefused, rel, fi.Size(), t.opts.MaxReadBytes)
	}
	f, err := os.Open(real)
	if err != nil {
		return "", fmt.Errorf("open %s: %w", rel, err)
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	if err := sniffText(br, rel); err != nil {
		return "", err
	}
	if start == 0 {
		start = 1
	}
	var b strings.Builder
	lineNo, last := 0, 0
	truncated := false
	for {
		line, rerr := br.ReadString('\n')
		if line == "" && rerr != nil {
			if rerr != io.EOF {
				return "", fmt.Errorf("read %s: %w", rel, rerr)
			}
			break
		}
		lineNo++
		if lineNo < start {
			continue
		}
		if end > 0 && lineNo > end {
			break
		}
		if !utf8.ValidString(line) {
			return "", fmt.Errorf("%w: %s is not UTF-8 text (line %d)", ErrRefused, rel, lineNo)
		}
		line = strings.TrimRight(line, "\r\n")
		entry := fmt.Sprintf("%6d\t%s\n", lineNo, line)
		if b.Len()+len(entry) > t.opts.MaxReadBytes {
			truncated = true
			if b.Len() > 0 {
				break
			}
			// A single line over the cap (minified code): show its start.
			// Redacted before it is cut: a key cut in half matches nothing.
			entry = fmt.Sprintf("%6d\t%s… [line cut at the cap]\n", lineNo, truncateUTF8(redact.String(line), max(0, t.opts.MaxReadBytes-64)))
			b.WriteString(entry)
			last = lineNo
			break
		}
		b.WriteString(entry)
		last = lineNo
		if rerr != nil {
			break
		}
	}
	var head string
	switch {
	case lineNo == 0:
		head = fmt.Sprintf("%s (empty)\n", rel)
	case last == 0 && lineNo < start:
		return "", fmt.Errorf("%w: %s has %d lines; start_line %d is past the end", ErrBadArguments, rel, lineNo, start)
	default:
		head = fmt.Sprintf("%s lines %d-%d\n", rel, start, last)
	}
	out := head + b.String()
	if truncated {
		out += fmt.Sprintf("[truncated at the %d-byte cap after line %d; continue with start_line=%d]\n", t.opts.MaxReadBytes, last, last+1)
	}
	return out, nil
}

// sniffText refuses binary files (a NUL byte near the start, as git
// decides) and files that do not start as UTF-8.
func sniffText(br *bufio.Reader, rel string) error {
	head, err := br.Peek(sniffBytes)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		return fmt.Errorf("read %s: %w", rel, err)
	}
	if bytes.IndexByte(head, 0) >= 0 {
		return fmt.Errorf("%w: %s is a binary file", ErrRefused, rel)
	}
	// A multi-byte rune may be cut at the end of the sniffed bytes.
	if len(head) > utf8.UTFMax {
		head = head[:len(head)-utf8.UTFMax]
	}
	if !utf8.Valid(head) {
		return fmt.Errorf("%w: %s is not UTF-8 text", ErrRefused, rel)
	}
	return nil
}

// listDir lists one directory, subdirectories first marked with '/'.
func (t *Tools) listDir(p string) (string, error) {
	rel, real, err := resolveIn(t.root, p)
	if err != nil {
		return "", err
	}
	fi, err := os.Stat(real)
	if err != nil {
		return "", fmt.Errorf("stat %s: %w", rel, err)
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("%w: %s is a file; use read_file", ErrBadArguments, rel)
	}
	entries, err := os.ReadDir(real)
	if err != nil {
		return "", fmt.Errorf("list %s: %w", rel, err)
	}
	var dirs, files []string
	for _, e := range entries {
		name := e.Name()
		child := path.Join(rel, name)
		if strings.EqualFold(name, ".git") {
			continue
		}
		if why := deniedPath(child); why != "" {
			if e.IsDir() {
				name += "/"
			}
			files = append(files, name+"  (not readable: secret deny list)")
			continue
		}
		switch {
		case e.Type()&fs.ModeSymlink != 0:
			files = append(files, name+"  (symlink)")
		case e.IsDir():
			dirs = append(dirs, name+"/")
		default:
			info, err := e.Info()
			if err != nil {
				continue // vanished meanwhile
			}
			files = append(files, fmt.Sprintf("%s  (%d bytes)", name, info.Size()))
		}
	}
	sort.Strings(dirs)
	sort.Strings(files)
	all := append(dirs, files...)
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d entries\n", rel, len(all))
	for i, e := range all {
		if i == maxListEntries || b.Len()+len(e)+1 > t.opts.MaxReadBytes {
			fmt.Fprintf(&b, "[%d more entries not shown]\n", len(all)-i)
			break
		}
		b.WriteString(e)
		b.WriteByte('\n')
	}
	return b.String(), nil
}

// searchText greps the text files under p for pattern.
func (t *Tools) searchText(ctx context.Context, pattern string, literal bool, p string, max int) (string, error) {
	if pattern == "" {
		return "", fmt.Errorf("%w: pattern is required", ErrBadArguments)
	}
	var re *regexp.Regexp
	if !literal {
		re, _ = regexp.Compile(pattern)
	}
	if re == nil {
		re = regexp.MustCompile(regexp.QuoteMeta(pattern))
	}
	if max <= 0 {
		max = t.opts.MaxResults
	}
	max = min(max, maxResultsCeiling)
	rel, real, err := resolveIn(t.root, p)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	matches, files := 0, 0
	full := false
	search := func(fileRel, fileReal string) error {
		n, err := t.searchFile(re, fileRel, fileReal, max-matches, &b)
		if n > 0 {
			files++
		}
		matches += n
		if matches >= max || b.Len() >= t.opts.MaxReadBytes {
			full = true
			return fs.SkipAll
		}
		return err
	}
	fi, err := os.Stat(real)
	if err != nil {
		return "", fmt.Errorf("stat %s: %w", rel, err)
	}
	if !fi.IsDir() {
		if err := searchable(real, fi); err != nil {
			return "", fmt.Errorf("%w: %s: %v", ErrRefused, rel, err)
		}
		if err := search(rel, real); err != nil && !errors.Is(err, fs.SkipAll) {
			return "", err
		}
	} else {
		err = filepath.WalkDir(real, func(fp string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil // unreadable entry: skip it
			}
			if cerr := ctx.Err(); cerr != nil {
				return cerr
			}
			inside, _ := filepath.Rel(real, fp)
			child := path.Join(rel, filepath.ToSlash(inside))
			if d.IsDir() {
				if fp != real && (deniedPath(child) != "" || d.Name() == "node_modules") {
					return fs.SkipDir
				}
				return nil
			}
			// Symlinks are not followed; special files are not read.
			if !d.Type().IsRegular() || deniedPath(child) != "" {
				return nil
			}
			info, err := d.Info()
			if err != nil || searchable(fp, info) != nil {
				return nil
			}
			return search(child, fp)
		})
		if err != nil && !errors.Is(err, fs.SkipAll) {
			return "", fmt.Errorf("search %s: %w", rel, err)
		}
	}
	if matches == 0 {
		return fmt.Sprintf("no matches for %q in %s\n", pattern, rel), nil
	}
	note := ""
	if full {
		note = fmt.Sprintf("[stopped at %d matches; narrow the pattern or the path]\n", matches)
	}
	return fmt.Sprintf("%d matches in %d files\n", matches, files) + b.String() + note, nil
}

// searchable says why a file is skipped by search: too large, binary or not UTF-8.
func searchable(real string, fi fs.FileInfo) error {
	if fi.Size() > maxSearchFileBytes {
		return fmt.Errorf("larger than %d bytes", maxSearchFileBytes)
	}
	f, err := os.Open(real)
	if err != nil {
		return err
	}
	defer f.Close()
	return sniffText(bufio.NewReaderSize(f, sniffBytes), filepath.Base(real))
}

// searchFile appends up to max matching lines of one file to b.
func (t *Tools) searchFile(re *regexp.Regexp, rel, real string, max int, b *strings.Builder) (int, error) {
	data, err := os.ReadFile(real)
	if err != nil {
		return 0, nil // vanished or unreadable: skip
	}
	if !utf8.Valid(data) {
		return 0, nil
	}
	n, lineNo := 0, 0
	for len(data) > 0 && n < max {
		lineNo++
		i := bytes.IndexByte(data, '\n')
		var line []byte
		if i < 0 {
			line, data = data, nil
		} else {
			line, data = data[:i], data[i+1:]
		}
		if !re.Match(line) {
			continue
		}
		text := strings.TrimRight(string(line), "\r")
		if len(text) > maxLineBytes {
			// Redacted before it is cut: a key cut in half matches nothing.
			if text = redact.String(text); len(text) > maxLineBytes {
				text = truncateUTF8(text, maxLineBytes) + "…"
			}
		}
		entry := fmt.Sprintf("%s:%d: %s\n", rel, lineNo, text)
		if b.Len()+len(entry) > t.opts.MaxReadBytes {
			break
		}
		b.WriteString(entry)
		n++
	}
	return n, nil
}

func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// gitLog runs the injected GitLog for a confined path.
func (t *Tools) gitLog(ctx context.Context, p string, n int) (string, error) {
	rel := ""
	if strings.TrimSpace(p) != "" {
		c, err := cleanRel(p)
		if err != nil {
			return "", err
		}
		if why := deniedPath(c); why != "" {
			return "", fmt.Errorf("%w: %s", ErrRefused, why)
		}
		// A path that exists must not be a symlink out of the tree; a deleted
		// path still has history.
		if _, _, err := resolveIn(t.root, c); err != nil && !errors.Is(err, ErrNotFound) {
			return "", err
		}
		if c != "." {
			rel = c
		}
	}
	if n <= 0 {
		n = defaultGitLogN
	}
	n = min(n, maxGitLogN)
	out, err := t.opts.GitLog(ctx, rel, n)
	if err != nil {
		return "", fmt.Errorf("read history: %w", err)
	}
	if len(out) > t.opts.MaxReadBytes {
		out = truncateUTF8(out, t.opts.MaxReadBytes) + "\n[truncated; ask for fewer commits]\n"
	}
	if strings.TrimSpace(out) == "" {
		return "no commits\n", nil
	}
	return out, nil
}

// ReadInline reads the context files for --inline-context under the same
// confinement rules as the tools: each path relative to the work tree at
// root, no escapes, no .git, no secret files, text only. maxBytes caps the
// total size of all files (0 = 256 KiB); going over it is an error naming the
// file. The map is keyed by the cleaned slash path; contents are redacted.
func ReadInline(root string, paths []string, maxBytes int) (map[string]string, error) {
	real, err := realRoot(root)
	if err != nil {
		return nil, err
	}
	if maxBytes <= 0 {
		maxBytes = 256 << 10
	}
	out := make(map[string]string, len(paths))
	total := 0
	for _, p := range paths {
		rel, fileReal, err := resolveIn(real, p)
		if err != nil {
			return nil, fmt.Errorf("inline %s: %w", p, err)
		}
		if _, ok := out[rel]; ok {
			continue
		}
		fi, err := os.Stat(fileReal)
		if err != nil {
			return nil, fmt.Errorf("inline %s: %w", rel, err)
		}
		if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("inline %s: %w: not a regular file", rel, ErrRefused)
		}
		if total+int(fi.Size()) > maxBytes {
			return nil, fmt.Errorf("inline %s: %w: %d bytes would exceed the %d-byte inline cap; reference it instead or raise the cap",
				rel, ErrRefused, fi.Size(), maxBytes)
		}
		data, err := os.ReadFile(fileReal)
		if err != nil {
			return nil, fmt.Errorf("inline %s: %w", rel, err)
		}
		if bytes.IndexByte(data[:min(len(data), sniffBytes)], 0) >= 0 {
			return nil, fmt.Errorf("inline %s: %w: binary file", rel, ErrRefused)
		}
		if !utf8.Valid(data) {
			return nil, fmt.Errorf("inline %s: %w: not UTF-8 text", rel, ErrRefused)
		}
		total += len(data)
		out[rel] = redact.String(string(data))
	}
	return out, nil
}
