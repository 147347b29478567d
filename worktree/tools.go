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
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/git-codex/git-codex/internal/text"

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
	maxSearchDepth      = 64
	readBufBytes        = 64 << 10
	defaultGitLogN      = 20
	maxGitLogN          = 200
	sniffBytes          = 8000
	maxSeenBytes        = 4 << 20
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
	// Tracked looks up the blob git's index holds for a path, for the
	// hard-link rule (see the package documentation). It is injected by the
	// session engine; when nil every file with more than one hard link is
	// refused.
	Tracked TrackedFunc
	// Seen, when set, makes read_file answer a re-read of a file the model
	// already saw with "unchanged since turn N" or a diff (see Seen), and
	// record every read. read_file then reads files up to 4 MiB whole, to
	// know their blob id. When nil, read_file answers every read in full.
	Seen *Seen
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
//
// Call returns ctx's error as soon as ctx is done, even when the tool is
// stuck in a system call (a hung network file system, a GitLog that ignores
// ctx): Ctrl-C always ends the turn. The tool itself stops at its next
// check of ctx; until then it finishes in the background and its result is
// dropped.
func (t *Tools) Call(ctx context.Context, name, argsJSON string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	type result struct {
		out string
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := t.call(ctx, name, argsJSON)
		done <- result{out, err}
	}()
	select {
	case r := <-done:
		return r.out, r.err
	case <-ctx.Done():
		return "", fmt.Errorf("%s: %w", name, ctx.Err())
	}
}

func (t *Tools) call(ctx context.Context, name, argsJSON string) (string, error) {
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
			out, err = t.readFile(ctx, a.Path, a.StartLine, a.EndLine)
		}
	case ToolListDir:
		var a struct {
			Path string `json:"path"`
		}
		if err = decodeArgs(name, argsJSON, &a); err == nil {
			out, err = t.listDir(ctx, a.Path)
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

// readFile returns lines [start, end] of the file with line numbers. Memory
// stays bounded whatever the file holds: of each line it keeps no more than
// the result cap, and reads and drops the rest.
func (t *Tools) readFile(ctx context.Context, p string, start, end int) (out string, err error) {
	if strings.TrimSpace(p) == "" {
		return "", fmt.Errorf("%w: path is required", ErrBadArguments)
	}
	if start < 0 || end < 0 || (end > 0 && start > end) {
		return "", fmt.Errorf("%w: bad line range %d-%d", ErrBadArguments, start, end)
	}
	tg, err := locate(t.root, p)
	if err != nil {
		return "", err
	}
	defer tg.Close()
	rel := tg.rel
	if tg.st.mode.IsDir() {
		return "", fmt.Errorf("%w: %s is a directory; use list_dir", ErrRefused, rel)
	}
	src, err := tg.openFile(ctx, t.opts.Tracked)
	if err != nil {
		return "", err
	}
	defer src.Close()
	defer verified(src, &out, &err)
	ranged := start > 0 || end > 0
	if !ranged && src.size > int64(t.opts.MaxReadBytes) {
		return "", fmt.Errorf("%w: %s is %d bytes, over the %d-byte cap; read it in parts with start_line and end_line (e.g. start_line=1, end_line=400)",
			ErrRefused, rel, src.size, t.opts.MaxReadBytes)
	}
	if t.opts.Seen != nil && src.size <= maxSeenBytes {
		// The whole file, to know its blob id: a re-read can then be
		// answered from what the model saw.
		data, err := io.ReadAll(io.LimitReader(src, maxSeenBytes+1))
		if err != nil {
			return "", fmt.Errorf("read %s: %w", rel, err)
		}
		if err := src.verify(); err != nil {
			return "", err
		}
		if len(data) <= maxSeenBytes {
			full, err := t.formatLines(bufio.NewReaderSize(bytes.NewReader(data), readBufBytes), rel, start, end)
			if err != nil {
				return "", err
			}
			return t.opts.Seen.answer(ctx, rel, tg.inside, start, end, data, full), nil
		}
		return "", fmt.Errorf("%w: %s grew while being read; read it again", ErrRefused, rel)
	}
	return t.formatLines(bufio.NewReaderSize(src, readBufBytes), rel, start, end)
}

// formatLines is read_file's answer: lines [start, end] of what br reads
// (the file rel), with line numbers, within the result cap.
func (t *Tools) formatLines(br *bufio.Reader, rel string, start, end int) (string, error) {
	if err := sniffText(br, rel); err != nil {
		return "", err
	}
	if start == 0 {
		start = 1
	}
	var b strings.Builder
	var buf []byte
	lineNo, last := 0, 0
	truncated := false
	for {
		keep := 0 // lines before the range are only counted
		if lineNo+1 >= start {
			// One byte over the cap, so that a line too long shows as one.
			keep = t.opts.MaxReadBytes + 1
		}
		var n int
		var cut bool
		var rerr error
		buf, n, cut, rerr = readLine(br, buf, keep)
		if rerr != nil && rerr != io.EOF {
			return "", fmt.Errorf("read %s: %w", rel, rerr)
		}
		if n == 0 {
			break
		}
		lineNo++
		if lineNo < start {
			if rerr != nil {
				break
			}
			continue
		}
		if end > 0 && lineNo > end {
			break
		}
		data := buf
		if cut {
			data = cutRune(data)
		}
		if !utf8.Valid(data) {
			return "", fmt.Errorf("%w: %s is not UTF-8 text (line %d)", ErrRefused, rel, lineNo)
		}
		line := strings.TrimRight(string(data), "\r\n")
		entry := fmt.Sprintf("%6d\t%s\n", lineNo, line)
		if b.Len()+len(entry) > t.opts.MaxReadBytes {
			truncated = true
			if b.Len() > 0 {
				break
			}
			// A single line over the cap (minified code): show its start.
			// Redacted before it is cut: a key cut in half matches nothing.
			entry = fmt.Sprintf("%6d\t%s… [line cut at the cap]\n", lineNo, text.CutBytes(redact.String(line), max(0, t.opts.MaxReadBytes-64)))
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

// verified runs src.verify when a tool is done with a file, and replaces
// what the tool was about to return (result or error, either may tell
// something of the content) with the refusal when the hard-link rule fails.
func verified(src *source, out *string, err *error) {
	if verr := src.verify(); verr != nil {
		*out, *err = "", verr
	}
}

// readLine reads the next line (through its '\n') from br into buf. With
// keep 0 it reads past the line and keeps nothing; otherwise it keeps at most
// keep bytes and, when the line is longer, stops there (cut) with the rest of
// the line unread, since a cut line ends the reading. n counts the bytes
// consumed. However long the line, memory stays within br's buffer and keep.
func readLine(br *bufio.Reader, buf []byte, keep int) (line []byte, n int, cut bool, err error) {
	buf = buf[:0]
	for {
		frag, err := br.ReadSlice('\n')
		n += len(frag)
		if keep > 0 {
			if room := keep - len(buf); len(frag) > room {
				return append(buf, frag[:room]...), n, true, nil
			}
			buf = append(buf, frag...)
		}
		if err != bufio.ErrBufferFull {
			return buf, n, false, err
		}
	}
}

// cutRune drops a rune cut in two at the end of b (a line kept in part).
func cutRune(b []byte) []byte {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				return b[:i]
			}
			break
		}
	}
	return b
}

// sniffText refuses binary files (a NUL byte near the start, as git
// decides) and files that do not start as UTF-8.
func sniffText(br *bufio.Reader, rel string) error {
	head, err := br.Peek(sniffBytes)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		return fmt.Errorf("read %s: %w", rel, err)
	}
	return textHead(head, rel)
}

// textHead refuses a file whose first bytes are binary or not UTF-8.
func textHead(head []byte, rel string) error {
	head = head[:min(len(head), sniffBytes)]
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

// listDir lists one directory, subdirectories first marked with '/'. It
// reads metadata only: special files and hard links are marked, not opened.
func (t *Tools) listDir(ctx context.Context, p string) (string, error) {
	tg, err := locate(t.root, p)
	if err != nil {
		return "", err
	}
	defer tg.Close()
	rel := tg.rel
	if !tg.st.mode.IsDir() {
		if tg.st.mode.IsRegular() {
			return "", fmt.Errorf("%w: %s is a file; use read_file", ErrBadArguments, rel)
		}
		return "", fmt.Errorf("%w: %s is %s, not a directory", ErrRefused, rel, kindOf(tg.st.mode))
	}
	dir, err := tg.openDir()
	if err != nil {
		return "", err
	}
	defer dir.Close()
	entries, err := dir.ReadDir(-1)
	if err != nil {
		return "", fmt.Errorf("list %s: %w", rel, err)
	}
	var dirs, files []string
	for i, e := range entries {
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return "", err
			}
		}
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
		st, err := lstatAt(dir, e.Name())
		if err != nil {
			continue // vanished meanwhile
		}
		switch {
		case st.mode&fs.ModeSymlink != 0:
			files = append(files, name+"  (symlink)")
		case st.mode.IsDir():
			dirs = append(dirs, name+"/")
		case !st.mode.IsRegular():
			files = append(files, fmt.Sprintf("%s  (not readable: %s)", name, kindOf(st.mode)))
		case st.nlink > 1:
			files = append(files, fmt.Sprintf("%s  (%d bytes, %d hard links: readable only as git tracks it)", name, st.size, st.nlink))
		default:
			files = append(files, fmt.Sprintf("%s  (%d bytes)", name, st.size))
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

// searchText greps the text files under p for pattern. It walks the tree
// through open directories without following symlinks, and opens each file
// as readFile does, so a path swapped meanwhile is skipped, never followed.
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
	tg, err := locate(t.root, p)
	if err != nil {
		return "", err
	}
	defer tg.Close()
	rel := tg.rel
	var b strings.Builder
	matches, files := 0, 0
	full := false
	found := func(data []byte, shown string) error {
		n := t.searchData(re, data, shown, max-matches, &b)
		if n > 0 {
			files++
		}
		matches += n
		if matches >= max || b.Len() >= t.opts.MaxReadBytes {
			full = true
			return fs.SkipAll
		}
		return nil
	}
	if !tg.st.mode.IsDir() {
		if tg.st.mode.IsRegular() && tg.st.size > maxSearchFileBytes {
			return "", fmt.Errorf("%w: %s: larger than %d bytes", ErrRefused, rel, maxSearchFileBytes)
		}
		src, err := tg.openFile(ctx, t.opts.Tracked)
		if err != nil {
			return "", err
		}
		data, err := fileText(src)
		src.Close()
		if err != nil {
			return "", err
		}
		if err := found(data, rel); err != nil && !errors.Is(err, fs.SkipAll) {
			return "", err
		}
	} else {
		dir, err := tg.openDir()
		if err != nil {
			return "", err
		}
		err = t.walk(ctx, dir, rel, tg.inside, 0, func(dir *os.File, name, shown, inside string) error {
			st, err := lstatAt(dir, name)
			if err != nil || !st.mode.IsRegular() || st.size > maxSearchFileBytes {
				return nil
			}
			src, err := openSource(ctx, dir, name, shown, inside, t.opts.Tracked)
			if err != nil {
				return ctx.Err() // refused or vanished: skip
			}
			data, err := fileText(src)
			src.Close()
			if err != nil {
				return ctx.Err() // binary, not UTF-8, refused: skip
			}
			return found(data, shown)
		})
		dir.Close()
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

// walk calls visit for every regular file under dir, in name order: shown is
// the file's path as the caller named the directory, inside its path from
// the root. Directories are opened one at a time without following a
// symlink; symlinks, special files, denied paths, node_modules and .git are
// skipped, and so is anything deeper than maxSearchDepth.
func (t *Tools) walk(ctx context.Context, dir *os.File, shown, inside string, depth int, visit func(dir *os.File, name, shown, inside string) error) error {
	entries, err := dir.ReadDir(-1)
	if err != nil {
		return ctx.Err() // unreadable directory: skip it
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		name := e.Name()
		childShown, childInside := path.Join(shown, name), path.Join(inside, name)
		if deniedPath(childShown) != "" || deniedPath(childInside) != "" {
			continue
		}
		switch {
		case e.IsDir():
			if name == "node_modules" || depth >= maxSearchDepth {
				continue
			}
			sub, err := openDirAt(dir, name)
			if err != nil {
				continue // replaced or vanished meanwhile
			}
			err = t.walk(ctx, sub, childShown, childInside, depth+1, visit)
			sub.Close()
			if err != nil {
				return err
			}
		case e.Type().IsRegular():
			if err := visit(dir, name, childShown, childInside); err != nil {
				return err
			}
		}
	}
	return nil
}

// fileText reads a whole file for search, at most maxSearchFileBytes, and
// refuses one that is binary or not UTF-8 or fails the hard-link rule.
func fileText(src *source) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(src, maxSearchFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", src.rel, err)
	}
	if err := src.verify(); err != nil {
		return nil, err
	}
	if len(data) > maxSearchFileBytes {
		return nil, fmt.Errorf("%w: %s: larger than %d bytes", ErrRefused, src.rel, maxSearchFileBytes)
	}
	if err := textHead(data, src.rel); err != nil {
		return nil, err
	}
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("%w: %s is not UTF-8 text", ErrRefused, src.rel)
	}
	return data, nil
}

// searchData appends up to max matching lines of one file's text to b.
func (t *Tools) searchData(re *regexp.Regexp, data []byte, rel string, max int, b *strings.Builder) int {
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
		found := strings.TrimRight(string(line), "\r")
		if len(found) > maxLineBytes {
			// Redacted before it is cut: a key cut in half matches nothing.
			if found = redact.String(found); len(found) > maxLineBytes {
				found = text.CutBytes(found, maxLineBytes) + "…"
			}
		}
		entry := fmt.Sprintf("%s:%d: %s\n", rel, lineNo, found)
		if b.Len()+len(entry) > t.opts.MaxReadBytes {
			break
		}
		b.WriteString(entry)
		n++
	}
	return n
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
		out = text.CutBytes(out, t.opts.MaxReadBytes) + "\n[truncated; ask for fewer commits]\n"
	}
	if strings.TrimSpace(out) == "" {
		return "no commits\n", nil
	}
	return out, nil
}

// ReadInline reads the context files for --inline-context under the same
// rules as the tools: each path relative to the work tree at root, no
// escapes, no .git, no secret files, regular text files only, opened so that
// what was checked is what is read, and a file with more than one hard link
// only as git tracks it (tracked may be nil: then such files are refused).
// maxBytes caps the total size of all files (0 = 256 KiB); going over it is
// an error naming the file. The map is keyed by the cleaned slash path;
// contents are redacted.
func ReadInline(ctx context.Context, root string, paths []string, maxBytes int, tracked TrackedFunc) (map[string]string, error) {
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
		if rel, err := cleanRel(p); err == nil {
			if _, ok := out[rel]; ok {
				continue
			}
		}
		data, rel, err := readInline(ctx, real, p, maxBytes-total, tracked)
		if err != nil {
			return nil, fmt.Errorf("inline %s: %w", p, err)
		}
		total += len(data)
		out[rel] = redact.String(string(data))
	}
	return out, nil
}

// readInline reads one file for ReadInline, at most room bytes of it.
func readInline(ctx context.Context, root, p string, room int, tracked TrackedFunc) (data []byte, rel string, err error) {
	tg, err := locate(root, p)
	if err != nil {
		return nil, "", err
	}
	defer tg.Close()
	rel = tg.rel
	if !tg.st.mode.IsRegular() {
		return nil, "", fmt.Errorf("%w: %s is %s, not a regular file", ErrRefused, rel, kindOf(tg.st.mode))
	}
	tooBig := func(size int64) error {
		return fmt.Errorf("%w: %s: %d bytes would exceed the inline cap (%d bytes left); reference it instead or raise the cap",
			ErrRefused, rel, size, room)
	}
	if tg.st.size > int64(room) {
		return nil, "", tooBig(tg.st.size)
	}
	src, err := tg.openFile(ctx, tracked)
	if err != nil {
		return nil, "", err
	}
	defer src.Close()
	data, err = io.ReadAll(io.LimitReader(src, int64(room)+1))
	if err != nil {
		return nil, "", fmt.Errorf("read %s: %w", rel, err)
	}
	if err := src.verify(); err != nil {
		return nil, "", err
	}
	if len(data) > room {
		return nil, "", tooBig(int64(len(data)))
	}
	if bytes.IndexByte(data[:min(len(data), sniffBytes)], 0) >= 0 {
		return nil, "", fmt.Errorf("%w: %s is a binary file", ErrRefused, rel)
	}
	if !utf8.Valid(data) {
		return nil, "", fmt.Errorf("%w: %s is not UTF-8 text", ErrRefused, rel)
	}
	return data, rel, nil
}
