package worktree

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file is the V4A diff format of the apply_patch tool: the diffs the
// Responses API puts in an apply_patch_call's operation (and the chat
// engine's function tool takes the same way), one diff per file, without
// the "*** Begin Patch" envelope Codex's shell tool uses.
//
// create_file: every line is "+" and the rest of the line; the new file is
// those lines, each ending in a line break.
//
// update_file: one or more hunks, in the file's order. A hunk opens with
// header lines: "@@" alone, or "@@ " and an anchor, a line of the file
// above the change (a class, a function signature); several anchors in a
// row narrow the search (class, then method). The first hunk may omit its
// header. Then the hunk's lines: " " and a line of the file kept as it is
// (context), "-" and a line removed, "+" and a line added; an empty line is
// an empty context line. "*** End of File" after a hunk's lines says they
// end the file. No line numbers.
//
// delete_file: no diff.
//
// Matching follows OpenAI's reference appliers (the applyDiff of the Agents
// SDKs, which the apply_patch guide points to), with two differences that
// fail closed: an anchor must be found (the SDKs skip a missing one), and a
// hunk marked "*** End of File" must match the end of the file (the SDKs
// fall back to anywhere). Each anchor is searched from where the previous
// hunk ended, then the hunk's old lines (context and removed lines) from
// there, at the first place they match: exactly, else ignoring trailing
// whitespace, else ignoring leading and trailing whitespace (a "fuzzy"
// match, counted in the result). A file's lines are its text split at "\n":
// a file ending in a line break has an empty last line, so a diff can add
// or remove that final line break, and a file's other line breaks, CRLF or
// LF, are kept line by line; added lines take the file's usual one. A UTF-8
// byte order mark is kept and is not part of the first line for matching.

// OpType names one file operation of the apply_patch tool.
type OpType string

// The operations of the apply_patch tool, named as the Responses API names
// them.
const (
	OpCreate OpType = "create_file"
	OpUpdate OpType = "update_file"
	OpDelete OpType = "delete_file"
)

// ErrMalformedPatch is wrapped by a *PatchError for a diff that does not
// follow the V4A grammar (or an operation that is not one of the three).
var ErrMalformedPatch = errors.New("malformed patch")

// ErrPatchMismatch is wrapped by a *PatchError for a well-formed diff whose
// anchors or lines are not in the file.
var ErrPatchMismatch = errors.New("patch does not match the file")

// PatchError says exactly why a diff does not parse or does not apply: the
// operation, the file, the hunk (1-based, 0 when not about one), the line of
// the diff (1-based, 0 when not about one) and what is wrong, with what the
// file holds there. Its message is written for the model, so that it can
// correct the diff and retry. It wraps ErrMalformedPatch or
// ErrPatchMismatch.
type PatchError struct {
	Op   OpType
	Path string
	Hunk int
	Line int
	Msg  string
	Kind error
}

func (e *PatchError) Error() string {
	var b strings.Builder
	b.WriteString(string(e.Op))
	if e.Path != "" {
		b.WriteString(" " + e.Path)
	}
	switch {
	case e.Hunk > 0 && e.Line > 0:
		fmt.Fprintf(&b, ": hunk %d (diff line %d)", e.Hunk, e.Line)
	case e.Hunk > 0:
		fmt.Fprintf(&b, ": hunk %d", e.Hunk)
	case e.Line > 0:
		fmt.Fprintf(&b, ": diff line %d", e.Line)
	}
	b.WriteString(": " + e.Msg)
	return b.String()
}

func (e *PatchError) Unwrap() error { return e.Kind }

// ApplyV4A applies one operation's V4A diff to a file's content and returns
// the new content: for OpCreate, old is ignored (the file does not exist);
// for OpUpdate, old is the file's content; for OpDelete, diff must be empty
// and the result is nil. fuzzy counts the anchors and hunks that matched
// only when whitespace at the ends of lines was ignored. Errors are
// *PatchError values (without the path, which the caller knows).
func ApplyV4A(op OpType, old []byte, diff string) (out []byte, fuzzy int, err error) {
	switch op {
	case OpCreate:
		out, perr := applyCreate(diff)
		if perr != nil {
			perr.Op = op
			return nil, 0, perr
		}
		return out, 0, nil
	case OpUpdate:
		hunks, perr := parseUpdate(diff)
		if perr == nil {
			out, fuzzy, perr = applyHunks(splitText(old), hunks)
		}
		if perr != nil {
			perr.Op = op
			return nil, 0, perr
		}
		return out, fuzzy, nil
	case OpDelete:
		if strings.TrimSpace(diff) != "" {
			return nil, 0, &PatchError{Op: op, Msg: "delete_file takes no diff", Kind: ErrMalformedPatch}
		}
		return nil, 0, nil
	}
	return nil, 0, &PatchError{Op: op, Msg: fmt.Sprintf("unknown operation %q: want create_file, update_file or delete_file", string(op)), Kind: ErrMalformedPatch}
}

const (
	endOfFile = "*** End of File"
	endPatch  = "*** End Patch"
)

// diffLines splits a diff into its lines: at "\n", without a "\r" before
// it, and without the empty line after a final line break.
func diffLines(diff string) []string {
	if diff == "" {
		return nil
	}
	lines := strings.Split(diff, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines
}

// usesCRLF reports whether every line break of s is CRLF (and it has one).
func usesCRLF(s string) bool {
	n := strings.Count(s, "\n")
	return n > 0 && strings.Count(s, "\r\n") == n
}

// malformed builds the error for a grammar mistake on a diff line.
func malformed(line int, format string, args ...any) *PatchError {
	return &PatchError{Line: line, Msg: fmt.Sprintf(format, args...), Kind: ErrMalformedPatch}
}

// envelopeLine tells whether l belongs to the "*** Begin Patch" envelope of
// Codex's shell tool, which an operation's diff does not carry.
func envelopeLine(l string) bool {
	for _, p := range []string{"*** Begin Patch", "*** Update File:", "*** Add File:", "*** Delete File:", "*** Move to:"} {
		if strings.HasPrefix(l, p) {
			return true
		}
	}
	return false
}

// applyCreate builds a new file from a create_file diff.
func applyCreate(diff string) ([]byte, *PatchError) {
	lines := diffLines(diff)
	// Tolerated at the very end: markers some models close every diff with.
	for len(lines) > 0 && (lines[len(lines)-1] == endPatch || lines[len(lines)-1] == endOfFile) {
		lines = lines[:len(lines)-1]
	}
	eol := "\n"
	if usesCRLF(diff) {
		eol = "\r\n"
	}
	var b strings.Builder
	for i, l := range lines {
		if !strings.HasPrefix(l, "+") {
			if envelopeLine(l) {
				return nil, malformed(i+1, "%q: an operation's diff has no \"*** Begin Patch\" envelope; send the file's lines only, each starting with \"+\"", clip(l))
			}
			return nil, malformed(i+1, "%q does not start with \"+\": every line of a create_file diff is \"+\" and a line of the new file (\"+\" alone for an empty line)", clip(l))
		}
		if i > 0 {
			b.WriteString(eol)
		}
		b.WriteString(l[1:])
	}
	// The lines joined, ending in a line break: "+a" and "+a\n+" both give
	// "a\n" (a file without a final line break cannot be asked for; git and
	// most tools want one).
	out := b.String()
	if out != "" && !strings.HasSuffix(out, eol) {
		out += eol
	}
	return []byte(out), nil
}

// hunk is one parsed hunk of an update_file diff.
type hunk struct {
	line     int      // diff line of its first line
	anchors  []anchor // the non-empty "@@ " anchors, outermost first
	old      []string // the file's lines the hunk covers: context and removed lines
	oldLine  []int    // the diff line of each old line
	changes  []change // what to do within old
	eof      bool     // "*** End of File": old ends the file
	bodyLine int      // diff line of its first context, "-" or "+" line
}

type anchor struct {
	text string
	line int
}

// change replaces del lines at old[at:] with ins.
type change struct {
	at  int
	del int
	ins []string
}

// unifiedHeader is a unified diff's hunk header, which V4A does not use.
var unifiedHeader = regexp.MustCompile(`^@@ -\d+(,\d+)? \+\d+(,\d+)? @@`)

const headerHint = `write "@@" or "@@ " and a line of the file above the change`

// parseUpdate parses an update_file diff into hunks.
func parseUpdate(diff string) ([]hunk, *PatchError) {
	lines := diffLines(diff)
	if n := len(lines); n > 0 && lines[n-1] == endPatch {
		lines = lines[:n-1] // tolerated at the very end
	}
	if len(lines) == 0 {
		return nil, malformed(0, "the diff is empty: an update_file diff has hunks of \" \" (context), \"-\" (removed) and \"+\" (added) lines")
	}
	var hunks []hunk
	changed := false
	i := 0
	for i < len(lines) {
		h := hunk{line: i + 1}
		headers := 0
		for i < len(lines) && strings.HasPrefix(lines[i], "@@") {
			l := lines[i]
			if unifiedHeader.MatchString(l) {
				return nil, malformed(i+1, "%q is a unified diff hunk header; V4A hunks carry no line numbers: %s", clip(l), headerHint)
			}
			if l != "@@" && !strings.HasPrefix(l, "@@ ") {
				return nil, malformed(i+1, "%q is not a hunk header: %s", clip(l), headerHint)
			}
			if a := strings.TrimPrefix(l, "@@ "); l != "@@" && strings.TrimSpace(a) != "" {
				h.anchors = append(h.anchors, anchor{text: a, line: i + 1})
			}
			headers++
			i++
		}
		if headers == 0 && len(hunks) > 0 {
			// Only a hunk ended by "*** End of File" can be followed by
			// anything but a header.
			return nil, malformed(i+1, "%q follows \"*** End of File\": a new hunk starts with a header (%s)", clip(lines[i]), headerHint)
		}
		h.bodyLine = i + 1
		var del, ins []string
		flush := func() {
			if len(del) > 0 || len(ins) > 0 {
				h.changes = append(h.changes, change{at: len(h.old) - len(del), del: len(del), ins: ins})
				del, ins = nil, nil
			}
		}
		body := 0
	body:
		for ; i < len(lines); i++ {
			l := lines[i]
			switch {
			case strings.HasPrefix(l, "@@"):
				break body
			case l == endOfFile:
				h.eof = true
				i++
				break body
			case strings.HasPrefix(l, "***"):
				if envelopeLine(l) {
					return nil, malformed(i+1, "%q: an operation's diff has no \"*** Begin Patch\" envelope; send the hunks of this file only", clip(l))
				}
				return nil, malformed(i+1, "%q: the only \"***\" line an update_file diff may hold is %q, after a hunk's last line", clip(l), endOfFile)
			}
			body++
			kind, text := byte(' '), ""
			if l != "" {
				kind, text = l[0], l[1:]
			}
			switch kind {
			case ' ':
				flush()
				h.old = append(h.old, text)
				h.oldLine = append(h.oldLine, i+1)
			case '-':
				del = append(del, text)
				h.old = append(h.old, text)
				h.oldLine = append(h.oldLine, i+1)
				changed = true
			case '+':
				ins = append(ins, text)
				changed = true
			default:
				return nil, malformed(i+1, "%q does not start with \" \" (context), \"-\" (removed) or \"+\" (added): every line of a hunk does", clip(l))
			}
		}
		flush()
		if body == 0 {
			return nil, &PatchError{Hunk: len(hunks) + 1, Line: h.line, Msg: "the hunk has no lines: after its header come \" \", \"-\" and \"+\" lines", Kind: ErrMalformedPatch}
		}
		hunks = append(hunks, h)
	}
	if !changed {
		return nil, malformed(0, "the diff changes nothing: it has no \"-\" or \"+\" line")
	}
	return hunks, nil
}

// patchText is a file's content as V4A sees it: lines split at "\n" (the last
// one empty when the content ends in a line break), each line's own line
// break kept, and a byte order mark set apart.
type patchText struct {
	lines []string
	brk   []int8 // the line break after each line: brkNone, brkLF or brkCRLF
	bom   bool
	crlf  bool // CRLF is the file's usual line break
}

const (
	brkNone int8 = iota // none yet: the last line, or a line the diff added
	brkLF
	brkCRLF
)

const (
	bom     = "\xef\xbb\xbf"
	bomRune = "\ufeff"
)

func splitText(b []byte) patchText {
	var t patchText
	if bytes.HasPrefix(b, []byte(bom)) {
		t.bom, b = true, b[len(bom):]
	}
	s := string(b)
	t.lines = strings.Split(s, "\n")
	t.brk = make([]int8, len(t.lines))
	crlf, lf := 0, 0
	for i := range len(t.lines) - 1 {
		if l, ok := strings.CutSuffix(t.lines[i], "\r"); ok {
			t.lines[i], t.brk[i] = l, brkCRLF
			crlf++
		} else {
			t.brk[i] = brkLF
			lf++
		}
	}
	t.crlf = crlf > lf
	return t
}

// join writes lines with their breaks; a line without one (added by the
// diff, or the old last line now followed by more) takes the usual one.
func (t patchText) join(lines []string, brk []int8) []byte {
	var b bytes.Buffer
	if t.bom {
		b.WriteString(bom)
	}
	for i, l := range lines {
		b.WriteString(l)
		if i == len(lines)-1 {
			break
		}
		switch {
		case brk[i] == brkCRLF, brk[i] == brkNone && t.crlf:
			b.WriteString("\r\n")
		default:
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}

// eofEnd is the index just past the file's last real line: the empty line
// after a final line break does not count for "*** End of File".
func (t patchText) eofEnd() int {
	n := len(t.lines)
	if n > 1 && t.lines[n-1] == "" {
		return n - 1
	}
	return n
}

// match tiers: exact, then ignoring trailing whitespace, then ignoring
// leading and trailing whitespace.
var tiers = []func(string) string{
	func(s string) string { return s },
	func(s string) string { return strings.TrimRightFunc(s, unicode.IsSpace) },
	strings.TrimSpace,
}

// seekAnchor moves the cursor past the anchor line, as the reference
// appliers do: an anchor already passed (a line above the cursor) leaves the
// cursor where it is unless it is a nested anchor, which must be below. It
// looks for the exact line first, then ignoring whitespace at both ends
// (fuzzy).
func seekAnchor(lines []string, a string, cursor int, nested bool) (next int, ok, fuzzy bool) {
	for ti, norm := range []func(string) string{tiers[0], tiers[2]} {
		want := norm(a)
		if !nested {
			for _, l := range lines[:cursor] {
				if norm(l) == want {
					return cursor, true, false
				}
			}
		}
		for i := cursor; i < len(lines); i++ {
			if norm(lines[i]) == want {
				return i + 1, true, ti > 0
			}
		}
	}
	return cursor, false, false
}

// matchAt reports whether old matches lines at pos under one tier.
func matchAt(lines, old []string, pos int, norm func(string) string) bool {
	if pos < 0 || pos+len(old) > len(lines) {
		return false
	}
	for j, o := range old {
		if norm(lines[pos+j]) != norm(o) {
			return false
		}
	}
	return true
}

// findOld finds where a hunk's old lines are, at or after start.
func findOld(t patchText, h hunk, start int) (pos int, fuzzy, ok bool) {
	if h.eof {
		pos = t.eofEnd() - len(h.old)
		if pos < start {
			return 0, false, false
		}
		for ti, norm := range tiers {
			if matchAt(t.lines, h.old, pos, norm) {
				return pos, ti > 0, true
			}
		}
		return 0, false, false
	}
	if len(h.old) == 0 {
		return start, false, true
	}
	for ti, norm := range tiers {
		for i := start; i+len(h.old) <= len(t.lines); i++ {
			if matchAt(t.lines, h.old, i, norm) {
				return i, ti > 0, true
			}
		}
	}
	return 0, false, false
}

// applyHunks applies parsed hunks to a file's text.
func applyHunks(t patchText, hunks []hunk) ([]byte, int, *PatchError) {
	type edit struct {
		at  int
		del int
		ins []string
	}
	var edits []edit
	cursor, fuzzy := 0, 0
	if t.bom {
		// read_file shows the mark at the start of line 1. A diff line that
		// copies it means the line without it, and adds no second mark: in
		// a file with the mark, no line is taken to start with another.
		for _, h := range hunks {
			for i := range h.anchors {
				h.anchors[i].text = strings.TrimPrefix(h.anchors[i].text, bomRune)
			}
			for i := range h.old {
				h.old[i] = strings.TrimPrefix(h.old[i], bomRune)
			}
			for _, c := range h.changes {
				for i := range c.ins {
					c.ins[i] = strings.TrimPrefix(c.ins[i], bomRune)
				}
			}
		}
	}
	for k, h := range hunks {
		// Where the search for the hunk's lines starts, said for a message.
		from := "in the file"
		if cursor > 0 {
			from = fmt.Sprintf("in the file below line %d, where hunk %d ended", cursor, k)
		}
		for ai, a := range h.anchors {
			next, ok, fz := seekAnchor(t.lines, a.text, cursor, ai > 0)
			if !ok {
				return nil, 0, &PatchError{Hunk: k + 1, Line: a.line, Msg: anchorMiss(t, a.text, cursor, k, ai > 0), Kind: ErrPatchMismatch}
			}
			if fz {
				fuzzy++
			}
			if next != cursor {
				from = fmt.Sprintf("in the file below its anchor %q at line %d", clip(strings.TrimSpace(a.text)), next)
			}
			cursor = next
		}
		pos, fz, ok := findOld(t, h, cursor)
		if !ok {
			return nil, 0, &PatchError{Hunk: k + 1, Line: h.bodyLine, Msg: oldMiss(t, h, cursor, from), Kind: ErrPatchMismatch}
		}
		if fz {
			fuzzy++
		}
		for _, c := range h.changes {
			edits = append(edits, edit{at: pos + c.at, del: c.del, ins: c.ins})
		}
		cursor = pos + len(h.old)
	}
	lines := make([]string, 0, len(t.lines)+8)
	brk := make([]int8, 0, len(t.lines)+8)
	i := 0
	for _, e := range edits {
		lines = append(lines, t.lines[i:e.at]...)
		brk = append(brk, t.brk[i:e.at]...)
		for _, l := range e.ins {
			lines = append(lines, l)
			brk = append(brk, brkNone)
		}
		i = e.at + e.del
	}
	lines = append(lines, t.lines[i:]...)
	brk = append(brk, t.brk[i:]...)
	return t.join(lines, brk), fuzzy, nil
}

// anchorMiss explains an anchor not found.
func anchorMiss(t patchText, a string, cursor, k int, nested bool) string {
	var msg string
	switch {
	case nested:
		msg = fmt.Sprintf("nested anchor %q is not a line of the file below line %d, where the anchor above it is", clip(a), cursor)
	case cursor > 0:
		msg = fmt.Sprintf("anchor %q is not a line of the file below line %d, where hunk %d ended", clip(a), cursor, k)
	default:
		msg = fmt.Sprintf("anchor %q is not a line of the file", clip(a))
	}
	if want := strings.TrimSpace(a); cursor > 0 {
		for i, l := range t.lines[:cursor] {
			if strings.TrimSpace(l) == want {
				msg += fmt.Sprintf(" (it is line %d, above: hunks and anchors follow the file's order)", i+1)
				break
			}
		}
	}
	return msg + "; an anchor is a whole line of the file, as read_file shows it, without the line number"
}

// oldMiss explains a hunk whose lines are not in the file below cursor
// (from says where that is): where they come closest, which of its lines
// differs there and what the file holds.
func oldMiss(t patchText, h hunk, cursor int, from string) string {
	end := t.eofEnd()
	if h.eof {
		n := min(max(len(h.old), 3), end)
		var b strings.Builder
		if len(h.old) == 1 {
			fmt.Fprintf(&b, "the hunk ends with %q but its line is not the last line of the file", endOfFile)
		} else {
			fmt.Fprintf(&b, "the hunk ends with %q but its %d lines are not the last lines of the file", endOfFile, len(h.old))
		}
		if end-len(h.old) < cursor && end >= len(h.old) {
			fmt.Fprintf(&b, " below line %d", cursor)
		}
		fmt.Fprintf(&b, "; the file ends with:")
		for i := end - n; i < end; i++ {
			fmt.Fprintf(&b, "\n%6d\t%s", i+1, clip(t.lines[i]))
		}
		return b.String()
	}
	// The alignment where most of the hunk's lines match (ignoring
	// whitespace at the ends), the first one on a tie.
	best, bestPos := 0, -1
	width := min(len(h.old), 64)
	for i := cursor; i < len(t.lines); i++ {
		n := 0
		for j := 0; j < width && i+j < len(t.lines); j++ {
			if strings.TrimSpace(t.lines[i+j]) == strings.TrimSpace(h.old[j]) {
				n++
			}
		}
		if n > best {
			best, bestPos = n, i
		}
	}
	if bestPos < 0 {
		var msg string
		if len(h.old) == 1 {
			msg = fmt.Sprintf("its line %q (diff line %d) is not %s", clip(h.old[0]), h.oldLine[0], from)
		} else {
			msg = fmt.Sprintf("none of its %d context and removed lines is %s", len(h.old), from)
		}
		if want := strings.TrimSpace(h.old[0]); want != "" {
			for i, l := range t.lines[:cursor] {
				if strings.TrimSpace(l) != want {
					continue
				}
				if len(h.old) == 1 {
					msg += fmt.Sprintf(" (it is line %d, above that)", i+1)
				} else {
					msg += fmt.Sprintf(" (its first line %q is line %d, above that)", clip(h.old[0]), i+1)
				}
				break
			}
		}
		return msg
	}
	for j := range h.old {
		fi := bestPos + j
		if fi >= end {
			return fmt.Sprintf("its lines are not %s: they come closest at line %d, but the file ends after %d of its %d lines; the first line past the end is %q (diff line %d)",
				from, bestPos+1, j, len(h.old), clip(h.old[j]), h.oldLine[j])
		}
		if strings.TrimSpace(t.lines[fi]) != strings.TrimSpace(h.old[j]) {
			return fmt.Sprintf("its lines are not %s: they come closest at line %d, where its line %q (diff line %d) differs from line %d of the file: %q",
				from, bestPos+1, clip(h.old[j]), h.oldLine[j], fi+1, clip(t.lines[fi]))
		}
	}
	// Every line matches at bestPos ignoring whitespace, which the search
	// would have found: not reached.
	return fmt.Sprintf("its lines are not %s", from)
}

// clip shortens a line quoted in a message to 160 bytes, on a rune
// boundary.
func clip(s string) string {
	const n = 160
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}
