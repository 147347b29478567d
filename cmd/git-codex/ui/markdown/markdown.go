// Package markdown renders the model's answers for a terminal: headings,
// emphasis, lists, block quotes, tables fitted to the width, and code blocks
// (diffs coloured like git's), wrapped to the terminal width. Live shows a
// streamed answer as it arrives and replaces each finished block with its
// rendering.
//
// It parses with goldmark (CommonMark and GitHub's tables, strikethrough and
// task lists) and renders with its own small writer: glamour, the usual
// choice, brings chroma, whose lexer and style registries cost about 15 ms
// at every start of the binary (measured), where git codex starts in about
// 6 ms. It belongs to the command layer and is used only on a terminal:
// piped output is never rendered.
package markdown

import (
	"strconv"
	"strings"
	"sync"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/text"

	"github.com/git-codex/git-codex/cmd/git-codex/ui"
)

// Options say how to render.
type Options struct {
	// Width is the terminal width to wrap to (0 means 80).
	Width int
	// Palette colours the output; a disabled palette gives plain text with
	// the Markdown markers that carry meaning (# for headings) kept.
	Palette ui.Palette
}

// parser is built on first use: every command starts, few render.
var parser = sync.OnceValue(func() goldmark.Markdown {
	return goldmark.New(goldmark.WithExtensions(extension.Table, extension.Strikethrough, extension.TaskList))
})

// Render renders Markdown source for the terminal. The result ends with one
// newline (or is empty for empty source).
func Render(src string, o Options) string {
	if o.Width <= 0 {
		o.Width = 80
	}
	b := []byte(src)
	doc := parser().Parser().Parse(text.NewReader(b))
	r := &renderer{src: b, p: o.Palette, width: o.Width}
	r.blocks(doc, "", "")
	return strings.TrimRight(r.out.String(), "\n") + "\n"
}

type renderer struct {
	src   []byte
	p     ui.Palette
	width int
	out   strings.Builder
	// started is set once a block was written at the current level, so
	// the next one is preceded by a blank line.
	started bool
}

// span is a piece of inline text with its style.
type span struct {
	text  string
	style string // SGR sequence(s); "" for plain
	brk   bool   // a hard line break
}

// blocks renders the children of n. first is the prefix of the first line
// (a list marker), rest that of the following ones (its indentation).
func (r *renderer) blocks(n ast.Node, first, rest string) {
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		if r.started && !tightItem(c) {
			r.out.WriteString(strings.TrimRight(rest, " ") + "\n")
		}
		r.block(c, first, rest)
		r.started = true
		first = rest
	}
}

// tightItem reports whether c follows its sibling without a blank line: a
// paragraph in a tight list item, or the next item of a tight list.
func tightItem(c ast.Node) bool {
	if c.PreviousSibling() == nil {
		return c.Parent() != nil && c.Parent().Kind() == ast.KindListItem
	}
	if l, ok := c.Parent().(*ast.List); ok {
		return l.IsTight
	}
	if _, ok := c.Parent().(*ast.ListItem); ok {
		if l, ok := c.Parent().Parent().(*ast.List); ok {
			return l.IsTight
		}
	}
	return false
}

func (r *renderer) block(n ast.Node, first, rest string) {
	switch n := n.(type) {
	case *ast.Heading:
		style := r.p.SGR(ui.SlotHeader)
		if n.Level == 1 && style != "" {
			style += "\x1b[4m"
		}
		spans := r.inlines(n, style)
		if !r.p.Enabled() {
			spans = append([]span{{text: strings.Repeat("#", n.Level) + " "}}, spans...)
		}
		r.wrap(spans, first, rest)
	case *ast.Paragraph, *ast.TextBlock:
		r.wrap(r.inlines(n, ""), first, rest)
	case *ast.List:
		num := n.Start
		for item := n.FirstChild(); item != nil; item = item.NextSibling() {
			marker := "• "
			if n.IsOrdered() {
				marker = strconv.Itoa(num) + ". "
				num++
			}
			if item != n.FirstChild() && !n.IsTight {
				r.out.WriteString(strings.TrimRight(rest, " ") + "\n")
			}
			pad := strings.Repeat(" ", ui.Width(marker))
			r.started = false
			r.blocks(item, first+marker, rest+pad)
			first = rest
		}
	case *ast.Blockquote:
		bar := r.p.Paint(ui.SlotDim, "│") + " "
		r.started = false
		r.blocks(n, first+bar, rest+bar)
	case *ast.FencedCodeBlock:
		r.code(n, string(n.Language(r.src)), first, rest)
	case *ast.CodeBlock:
		r.code(n, "", first, rest)
	case *ast.ThematicBreak:
		r.line(first, r.p.Paint(ui.SlotDim, strings.Repeat("─", max(3, min(r.width-ui.Width(first), 40)))))
	case *ast.HTMLBlock:
		lines := n.Lines()
		for i := 0; i < lines.Len(); i++ {
			seg := lines.At(i)
			r.line(first, strings.TrimRight(string(seg.Value(r.src)), "\n"))
			first = rest
		}
	case *east.Table:
		r.table(n, first, rest)
	default:
		r.wrap(r.inlines(n, ""), first, rest)
	}
}

// code writes a code block as it is, indented, never wrapped: a diff's
// lines coloured as git colours them, any other code in the code colour.
func (r *renderer) code(n ast.Node, lang, first, rest string) {
	diff := lang == "diff" || lang == "patch"
	lines := n.Lines()
	for i := 0; i < lines.Len(); i++ {
		seg := lines.At(i)
		l := strings.TrimRight(string(seg.Value(r.src)), "\n")
		slot := ui.SlotCode
		if diff {
			switch {
			case strings.HasPrefix(l, "@@"):
				slot = ui.SlotFrag
			case strings.HasPrefix(l, "+++"), strings.HasPrefix(l, "---"):
				slot = ui.SlotHeader
			case strings.HasPrefix(l, "+"):
				slot = ui.SlotNew
			case strings.HasPrefix(l, "-"):
				slot = ui.SlotOld
			default:
				slot = ""
			}
		}
		if slot != "" {
			l = r.p.Paint(slot, l)
		}
		r.line(first+"    ", l)
		first = rest
	}
}

func (r *renderer) table(n *east.Table, first, rest string) {
	var header []string
	var rows [][]string
	for row := n.FirstChild(); row != nil; row = row.NextSibling() {
		var cells []string
		for cell := row.FirstChild(); cell != nil; cell = cell.NextSibling() {
			cells = append(cells, plain(r.inlines(cell, "")))
		}
		if row.Kind() == east.KindTableHeader {
			header = cells
		} else {
			rows = append(rows, cells)
		}
	}
	// The widest column gives up room when the table is too wide.
	flex, widest := -1, 0
	for _, row := range append([][]string{header}, rows...) {
		for i, c := range row {
			if w := ui.Width(c); w > widest {
				flex, widest = i, w
			}
		}
	}
	var b strings.Builder
	_ = ui.Table{Header: header, Flex: flex, Width: r.width - ui.Width(rest), Palette: r.p}.Write(&b, rows)
	for _, l := range strings.Split(strings.TrimRight(b.String(), "\n"), "\n") {
		r.line(first, l)
		first = rest
	}
}

func (r *renderer) line(prefix, s string) {
	r.out.WriteString(strings.TrimRight(prefix+s, " ") + "\n")
}

// inlines collects the inline content of n as styled spans.
func (r *renderer) inlines(n ast.Node, style string) []span {
	var out []span
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch c := c.(type) {
		case *ast.Text:
			out = append(out, span{text: string(c.Segment.Value(r.src)), style: style})
			switch {
			case c.HardLineBreak():
				out = append(out, span{brk: true})
			case c.SoftLineBreak():
				out = append(out, span{text: " ", style: style})
			}
		case *ast.String:
			out = append(out, span{text: string(c.Value), style: style})
		case *ast.CodeSpan:
			var b strings.Builder
			for t := c.FirstChild(); t != nil; t = t.NextSibling() {
				if tn, ok := t.(*ast.Text); ok {
					b.Write(tn.Segment.Value(r.src))
				}
			}
			code := b.String()
			if !r.p.Enabled() {
				code = "`" + code + "`"
			}
			out = append(out, span{text: code, style: style + r.p.SGR(ui.SlotCode)})
		case *ast.Emphasis:
			s := "\x1b[3m"
			if c.Level >= 2 {
				s = "\x1b[1m"
			}
			if !r.p.Enabled() {
				s = ""
			}
			out = append(out, r.inlines(c, style+s)...)
		case *east.Strikethrough:
			s := ""
			if r.p.Enabled() {
				s = "\x1b[9m"
			}
			out = append(out, r.inlines(c, style+s)...)
		case *ast.Link:
			label := r.inlines(c, style)
			out = append(out, label...)
			if dest := string(c.Destination); dest != "" && dest != plain(label) {
				out = append(out, span{text: " (" + dest + ")", style: style + r.p.SGR(ui.SlotDim)})
			}
		case *ast.AutoLink:
			out = append(out, span{text: string(c.Label(r.src)), style: style})
		case *ast.Image:
			out = append(out, r.inlines(c, style)...)
			out = append(out, span{text: " (" + string(c.Destination) + ")", style: style + r.p.SGR(ui.SlotDim)})
		case *ast.RawHTML:
			for i := 0; i < c.Segments.Len(); i++ {
				seg := c.Segments.At(i)
				out = append(out, span{text: string(seg.Value(r.src)), style: style})
			}
		case *east.TaskCheckBox:
			box := "[ ] "
			if c.IsChecked {
				box = "[x] "
			}
			out = append(out, span{text: box, style: style})
		default:
			out = append(out, r.inlines(c, style)...)
		}
	}
	return out
}

func plain(spans []span) string {
	var b strings.Builder
	for _, s := range spans {
		if s.brk {
			b.WriteByte(' ')
		}
		b.WriteString(s.text)
	}
	return strings.TrimSpace(b.String())
}

// wrap lays spans out in lines of at most r.width cells, breaking at
// spaces only: a word longer than a line gets a line of its own.
func (r *renderer) wrap(spans []span, first, rest string) {
	prefix := first
	var line strings.Builder
	used := 0 // cells of text on the line, prefix aside
	pendingSpace := false
	room := func() int { return max(r.width-ui.Width(prefix), 10) }
	flush := func() {
		r.line(prefix, line.String())
		line.Reset()
		used, pendingSpace, prefix = 0, false, rest
	}
	write := func(word, style string) {
		w := ui.Width(word)
		if used > 0 && used+1+w > room() {
			flush()
		}
		if pendingSpace && used > 0 {
			line.WriteByte(' ')
			used++
		}
		pendingSpace = false
		if style != "" {
			line.WriteString(style + word + r.p.Reset())
		} else {
			line.WriteString(word)
		}
		used += w
	}
	for _, s := range spans {
		if s.brk {
			flush()
			continue
		}
		words := strings.Split(s.text, " ")
		for i, w := range words {
			if i > 0 {
				pendingSpace = true
			}
			if w == "" {
				continue
			}
			if i == 0 && used > 0 && !pendingSpace {
				// The span continues the previous word ("**bold**," or a
				// link's text): no space between them.
				wd := ui.Width(w)
				if used+wd > room() {
					flush()
				}
				if s.style != "" {
					line.WriteString(s.style + w + r.p.Reset())
				} else {
					line.WriteString(w)
				}
				used += wd
				continue
			}
			write(w, s.style)
		}
	}
	if used > 0 || line.Len() > 0 || prefix == first {
		flush()
	}
}
