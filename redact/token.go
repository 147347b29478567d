package redact

import (
	"encoding/base64"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// This file holds what a rule set misses in this program's channels: keys
// pasted bare, with no name or prefix that a rule could key on, and the
// bodies of private keys whose BEGIN line fell outside a command's output
// tail or a ranged file read.

// bareTokens appends the tokens of s that look machine-generated (see
// randomToken): a key pasted alone in prose or as a value under any name.
// Lines of base64 76 characters wide, as MIME and the base64 command wrap
// encoded files, and the bodies of certificates and public keys are data
// and left alone. What other finders found in out ends a token, as the
// marker that replaces it will: a token is judged the same before and
// after redaction.
func bareTokens(s string, prio int, out []finding) []finding {
	skip, keys := dataBlocks(s)
	for _, k := range keys {
		out = keyLines(s, k, out)
		skip = append(skip, k)
	}
	for _, f := range out {
		skip = append(skip, f.span)
	}
	sort.Slice(skip, func(i, j int) bool { return skip[i].start < skip[j].start })
	next := 0 // skip[next:] may still lie ahead
	skipped := func(i int) int {
		for next < len(skip) && skip[next].end <= i {
			next++
		}
		for k := next; k < len(skip) && skip[k].start <= i; k++ {
			if i < skip[k].end {
				return skip[k].end
			}
		}
		return -1
	}
	for i := 0; i < len(s); {
		if e := skipped(i); e >= 0 {
			i = e
			continue
		}
		if isTokenSep(s, i) {
			if s[i] == '\\' {
				i++ // an escape (\n, \"): its letter starts no token
			}
			i++
			continue
		}
		j := i + 1
		for j < len(s) && !isTokenSep(s, j) && skipped(j) < 0 {
			j++
		}
		start, end := trimToken(s, i, j)
		if end-start >= 12 {
			n := len(out)
			out = tokenFindings(s, start, end, prio, out)
			if len(out) > n && out[len(out)-1].end == j {
				// A secret goes on after an '=' that is not padding (base64
				// in parts, a key that holds '='): the token's rest is part
				// of it, as its start is not (NAME=secret).
				for j < len(s) && s[j] == '=' {
					k := j + 1
					for k < len(s) && !isTokenSep(s, k) && skipped(k) < 0 {
						k++
					}
					if k == j+1 {
						break
					}
					j = k
				}
				_, out[len(out)-1].end = trimToken(s, start, j)
			}
		}
		i = j
	}
	return out
}

// isTokenSep reports whether s[i] ends a token: white space, quotes,
// brackets, ',', ';', a backslash, or an '=' that is not base64 padding.
func isTokenSep(s string, i int) bool {
	switch c := s[i]; c {
	case ' ', '\t', '\n', '\r', '"', '\'', '`', '(', ')', '[', ']', '{', '}', '<', '>', ',', ';', '\\':
		return true
	case '=':
		// Padding ends a token or precedes more padding.
		return i+1 < len(s) && s[i+1] != '=' && !isTokenSep(s, i+1)
	default:
		return c >= 0x80 // non-ASCII: prose, not a key
	}
}

// trimToken drops punctuation that ends a sentence or starts a name.
func trimToken(s string, i, j int) (int, int) {
	for i < j && strings.IndexByte(".:!?*-_=|#&@$%~+/", s[i]) >= 0 {
		i++
	}
	for j > i && strings.IndexByte(".:!?*-_|#&@$%~", s[j-1]) >= 0 {
		j--
	}
	return i, j
}

// tokenFindings judges the token s[start:end]; a URL is judged by its
// parts.
func tokenFindings(s string, start, end, prio int, out []finding) []finding {
	tok := s[start:end]
	if k := strings.Index(tok, "://"); k >= 0 {
		for i := start + k + 3; i < end; {
			j := i
			for j < end && strings.IndexByte("/?&=:@#", s[j]) < 0 {
				j++
			}
			if j-i >= 12 && randomToken(s[i:j]) {
				out = append(out, finding{span{i, j}, "random-token", prio})
			}
			i = j + 1
		}
		return out
	}
	if strings.HasSuffix(s[:start], ";base64,") {
		return out // a data: URL's content: an image, a font
	}
	switch encoded(tok) {
	case "public":
		return out
	case "private":
		return append(out, finding{span{start, end}, "private-key", prio})
	}
	if randomToken(tok) || compoundRandom(tok) {
		out = append(out, finding{span{start, end}, "random-token", prio})
	}
	return out
}

// compoundRandom reports whether a part of tok, split at ':', '|', '-' or
// '@', looks machine-generated (see randomToken): a secret joined to a user
// name or an account id (user:secret, 1234567890|secret, 12345-secret) is
// secret whole. Digest notations (sha256:…) are not, nor is a name pinned
// to a commit (actions/checkout@<object id>).
func compoundRandom(tok string) bool {
	if !strings.ContainsAny(tok, ":|-@") || digestNotation(tok) {
		return false
	}
	for _, part := range strings.FieldsFunc(tok, func(c rune) bool { return c == ':' || c == '|' || c == '-' || c == '@' }) {
		if len(part) >= 12 && randomToken(part) {
			return true
		}
	}
	return false
}

// encoded tells what tok encodes in base64 when its first bytes say so,
// since keys and public data look equally random:
//
//   - "public" for an SSH public key or certificate (the wire format starts
//     with the length and name of an algorithm: ssh-ed25519,
//     ecdsa-sha2-nistp256, sk-ssh-…), a certificate or public key in PEM
//     (base64 of "-----BEGIN CERTIFICATE-----", as kubeconfig files hold
//     them) or in DER, a SEQUENCE whose first field is a SEQUENCE;
//   - "private" for a private key: OpenSSH's format ("openssh-key-v1"), PEM
//     text of one, or DER whose first field is a one-byte version (0, 1 or
//     3: PKCS#1, PKCS#8, SEC 1, PKCS#12);
//   - "" otherwise.
func encoded(tok string) string {
	if len(tok) < 24 {
		return ""
	}
	head := decodeHead(tok)
	switch {
	case strings.HasPrefix(head, "openssh-key-v1\x00"):
		return "private"
	case len(head) >= 8 && head[0] == 0 && head[1] == 0 && head[2] == 0:
		name := head[4:min(len(head), 4+int(head[3]))]
		if strings.HasPrefix(name, "ssh-") || strings.HasPrefix(name, "ecdsa-") || strings.HasPrefix(name, "sk-") {
			return "public"
		}
	case strings.HasPrefix(head, "-----BEGIN "):
		if label, _, _ := strings.Cut(head[len("-----BEGIN "):], "-----"); strings.Contains(label, "PRIVATE") {
			return "private"
		}
		return "public"
	case len(head) > 8 && head[0] == 0x30:
		// The outer SEQUENCE's length must account for the whole token.
		size, at := int(head[1]), 2
		if size > 0x80 && size <= 0x83 {
			at = 2 + size&0x7f
			size = 0
			for _, b := range []byte(head[2:at]) {
				size = size<<8 | int(b)
			}
		}
		whole := len(strings.TrimRight(tok, "=")) * 3 / 4
		if at+3 > len(head) || at+size < whole-2 || at+size > whole+2 {
			return ""
		}
		switch field := head[at : at+3]; {
		case field[0] == 0x30:
			return "public"
		case field[0] == 0x02 && field[1] == 1 && (field[2] <= 1 || field[2] == 3):
			return "private"
		}
	}
	return ""
}

// decodeHead returns the first bytes tok encodes in base64 (standard or
// URL alphabet), or "".
func decodeHead(tok string) string {
	k := min(len(tok), 64) &^ 3
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
		if b, err := enc.DecodeString(tok[:k]); err == nil {
			return string(b)
		}
	}
	return ""
}

// dataBlocks returns the parts of s that hold encoded data rather than
// keys, in order: MIME blocks and public PEM blocks; and the MIME blocks
// that encode a private key (base64 < id_ed25519).
func dataBlocks(s string) (blocks, keys []span) {
	blocks, keys = mimeBlocks(s)
	if !strings.Contains(s, "-----BEGIN ") {
		return blocks, keys
	}
	for off := 0; ; {
		i := strings.Index(s[off:], "-----BEGIN ")
		if i < 0 {
			break
		}
		start := off + i
		head := s[start:lineEnd(s, start)]
		label, _, _ := strings.Cut(strings.TrimPrefix(head, "-----BEGIN "), "-----")
		off = start + len(head)
		if strings.Contains(label, "PRIVATE") {
			continue
		}
		end := strings.Index(s[off:], "-----END "+label+"-----")
		if end < 0 {
			end = len(s) - off
		}
		blocks = append(blocks, span{start, off + end})
		off += end
	}
	sort.Slice(blocks, func(i, j int) bool { return blocks[i].start < blocks[j].start })
	return blocks, keys
}

// mimeBlocks returns the runs of two or more lines of base64 76 characters
// wide (with the shorter line that ends the run), in order: as data, or as
// keys when their first bytes encode a private key (see encoded).
func mimeBlocks(s string) (data, keys []span) {
	run, first := 0, span{}
	for pos := 0; pos <= len(s); {
		end := lineEnd(s, pos)
		c := base64Content(s, pos, end)
		switch w := c.end - c.start; {
		case w == 76:
			if run == 0 {
				first = c
			}
			run++
		default:
			if run >= 2 {
				last := pos - 1
				if w > 0 && w < 76 {
					last = c.end // the closing line
				}
				block := span{lineStart(s, first.start), last}
				if encoded(s[first.start:first.end]) == "private" {
					keys = append(keys, block)
				} else {
					data = append(data, block)
				}
			}
			run = 0
		}
		pos = end + 1
	}
	return data, keys
}

// keyLines appends the base64 of each line of the block b of s, a private
// key, without the lines' prefixes.
func keyLines(s string, b span, out []finding) []finding {
	for pos := b.start; pos < b.end; {
		end := min(lineEnd(s, pos), b.end)
		if c := base64Content(s, pos, end); c.end > c.start {
			out = append(out, finding{c, "private-key", prioPEM})
		}
		pos = end + 1
	}
	return out
}

// digestPrefixes start the notations of digests, which are random but no
// secret: go.sum's h1:, subresource integrity, docker and git digests.
var digestPrefixes = []string{"h1:", "sha1-", "sha256-", "sha384-", "sha512-", "sha1:", "sha256:", "sha512:", "md5:", "md5-"}

// digestNotation reports whether tok starts with one of digestPrefixes.
func digestNotation(tok string) bool {
	for _, p := range digestPrefixes {
		if len(tok) >= len(p) && hasPrefixLower(tok, p) {
			return true
		}
	}
	return false
}

// randomToken reports whether tok looks machine-generated rather than
// written: 12 to maxTokenLen letters and digits, 8 of them in a row, letters
// at least half of them, digits scattered among the letters or case
// switching often, and few of its letter pairs common in words (see
// commonShare).
//
// Hexadecimal strings are left alone — object ids, digests, UUIDs, trace
// and request ids fill ordinary records, and a key that is one of them is
// found only by name (see assignments) or by a rule — unless no id or
// digest is written that way: one whose letters mix cases, or an odd
// number of digits (ids and digests encode whole bytes; see oddHexLength).
// ULIDs,
// digest notations and runs of consecutive characters (alphabets in test
// code) are left alone too.
func randomToken(tok string) bool {
	var n, letters, digits, hexes, steps, run, longest, switches, caseSwitches, upperHex, lowerHex int
	prev := byte(0) // class of the previous letter or digit: 'a' or '0'
	prevLetter := byte(0)
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		if isUpper, isLower := c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z'; isUpper || isLower {
			if prevLetter != 0 && (prevLetter >= 'A' && prevLetter <= 'Z') != isUpper {
				caseSwitches++
			}
			prevLetter = c
		}
		class := byte(0)
		switch {
		case c >= '0' && c <= '9':
			digits++
			hexes++
			class = '0'
		case c >= 'a' && c <= 'f':
			lowerHex++
			letters++
			hexes++
			class = 'a'
		case c >= 'A' && c <= 'F':
			upperHex++
			letters++
			hexes++
			class = 'a'
		case c >= 'g' && c <= 'z', c >= 'G' && c <= 'Z':
			letters++
			class = 'a'
		case c == '-':
			hexes++
		}
		if class == 0 {
			run = 0
			continue
		}
		n++
		run++
		longest = max(longest, run)
		if prev != 0 && prev != class {
			switches++
		}
		prev = class
		if i > 0 && tok[i-1]+1 == c {
			steps++
		}
	}
	if n < 12 || n > maxTokenLen || longest < 8 || letters == 0 || 4*steps > n {
		return false
	}
	// Digits scattered among letters, or case switching back and forth, as
	// random draws put them; names and versions keep their digits together
	// (utf8, x86_64, AMD64, v1.2.3) and switch case once a word.
	digitsScattered := digits > 0 && 6*switches >= n
	if hexes == len(tok)-1 && (strings.HasPrefix(tok, "0x") || tok[0] >= 'g' && tok[0] <= 'z') {
		// A number (0x1f…), or a hash behind a letter: git describe's
		// g<object id>, a Rust symbol's h<hash>.
		return false
	}
	if hexes == len(tok) {
		mixedCase := lowerHex >= 2 && upperHex >= 2 && 4*caseSwitches >= letters
		return (mixedCase || oddHexLength(tok)) && digitsScattered && 8*letters >= n
	}
	caseScattered := n >= 14 && 3*caseSwitches >= letters
	if 2*letters < n || !digitsScattered && !caseScattered {
		return false
	}
	if digestNotation(tok) || printfVerb().MatchString(tok) || fileName().MatchString(tok) || qualified().MatchString(tok) || ulid().MatchString(tok) {
		return false
	}
	// Few letter pairs common in words: three in five at most; seven in
	// ten in a run of lower-case letters and digits that break it up often,
	// as random lower-case keys are, whose few pairs make the share vary
	// more (names with digits have humps, arg0ret0AddrReg, or punctuation,
	// v128.load16x4_s).
	common, pairs := commonShare(tok)
	if 4*switches >= n && n == len(tok) && strings.ToLower(tok) == tok {
		return 10*common <= 7*pairs
	}
	return 5*common <= 3*pairs
}

// oddHexLength reports whether tok, hexadecimal, has an odd number of
// digits no id or digest has: 35 or more, and not one off the length of an
// object id or digest (40, 64, 128), as an id miscopied in a test is.
func oddHexLength(tok string) bool {
	n := len(tok)
	if n%2 == 0 || n < 35 || strings.IndexByte(tok, '-') >= 0 {
		return false
	}
	for _, id := range []int{40, 64, 128} {
		if n == id-1 || n == id+1 {
			return false
		}
	}
	return true
}

// maxTokenLen bounds the letters and digits of a token randomToken judges:
// a longer one is data (an image, an archive), not a key.
const maxTokenLen = 4096

// The shapes of tokens that are not secrets, compiled on first use.
var (
	// printfVerb finds a format string's verbs (d%02x, %s).
	printfVerb = lazyRegexp(`%[-+# 0]?[0-9]*[sdxq]`)
	// fileName matches paths and names with an extension (d00/f01.txt).
	fileName = lazyRegexp(`[./][A-Za-z0-9_-]*\.[a-z]{1,5}$`)
	// qualified matches a package-qualified name (ssa.OpAMD64VPMAXUW128).
	qualified = lazyRegexp(`^[a-z][a-z0-9]*\.[A-Z][A-Za-z0-9_]*$`)
	// ulid matches a ULID, the time-sortable id of every record and session,
	// and the prefixes git codex shows of one (12 characters, or any unique
	// prefix a user types): upper-case Crockford base32 whose time part
	// starts with 0, as every ULID made before the year 10889 does.
	ulid = lazyRegexp(`^[0-7][0-9A-HJKMNP-TV-Z]{25}$|^0[0-9A-HJKMNP-TV-Z]{9,24}$`)
)

// lazyRegexp returns a function that compiles expr on its first call.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

// randomValue reports whether v, a value already known to sit where a
// secret would (a URL's user name), looks random: randomToken, or a
// hexadecimal string of 16 or more digits.
func randomValue(v string) bool {
	if randomToken(v) {
		return true
	}
	if len(v) < 16 {
		return false
	}
	var letters, digits int
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c >= 'a' && c <= 'f', c >= 'A' && c <= 'F':
			letters++
		default:
			return false
		}
	}
	return letters > 0 && digits > 0
}

// commonShare returns how many of tok's letter pairs are common in written
// words, and how many letter pairs it has. Pairs are taken within runs of
// letters, split where case turns from lower to upper (camelCase). Names,
// paths and prose score high; random strings low, as most of the 676 pairs
// are rare in words.
func commonShare(tok string) (common, pairs int) {
	table := commonPairs()
	for i := 1; i < len(tok); i++ {
		a, b := tok[i-1], tok[i]
		la, lb := toLower(a), toLower(b)
		if la < 'a' || la > 'z' || lb < 'a' || lb > 'z' {
			continue
		}
		if a >= 'a' && a <= 'z' && b >= 'A' && b <= 'Z' {
			continue // camelCase boundary
		}
		pairs++
		if table[int(la-'a')*26+int(lb-'a')] {
			common++
		}
	}
	return common, pairs
}

// commonPairsText lists the letter pairs that make up 97% of the pairs in
// this repository's Go source and documents (230 of 676).
const commonPairsText = "" +
	"ab ac ad af ag ai ak al am an ap ar as at au ax ay ba be bi bj bl bo " +
	"bu by ca ce ch ck cl co cr cs ct cu da de di do ds ea ec ed ee ef el " +
	"em en ep eq er es et ev ew ex ey fa fe ff fi fl fm fo fr fs ft fu ge " +
	"gi go gs gu ha he hi ho hu ic id ie if ig il im in io ip ir is it ix " +
	"je js ka ke ki ks la ld le li ll lo ls lt lu ly ma mb md me mi mm mo " +
	"mp ms mt mu na nc nd ne nf ng ni nl no np ns nt nu nv ny ob oc od of " +
	"oi ok ol om on oo op or os ot ou ov ow pa pe pi pl po pp pr pt pu py " +
	"qu ra rc rd re rf rg ri rk rm rn ro rr rs rt ru ry sa sc se sh si so " +
	"sp ss st su sw sy ta tc td te tf th ti tl to tp tr ts tt tu tx ty ub " +
	"uc ue ui ul um un up ur us ut va ve vi wa we wh wi wo wr xi xt yp yt"

var (
	pairsOnce  sync.Once
	pairsTable [26 * 26]bool
)

func commonPairs() *[26 * 26]bool {
	pairsOnce.Do(func() {
		for _, p := range strings.Fields(commonPairsText) {
			pairsTable[int(p[0]-'a')*26+int(p[1]-'a')] = true
		}
	})
	return &pairsTable
}

// pemBodies appends the lines of s that hold the body of a private key
// whose BEGIN line is not in s (a command's output tail, a ranged read): a
// run of three or more lines of base64 exactly 64 or 70 characters wide (PEM
// and OpenSSH) or any such run ending at an "-----END … PRIVATE KEY-----"
// line, with the shorter base64 lines that open or close the run. A run
// under a BEGIN line of something public (a certificate, a public key) is
// left alone. Line prefixes (line numbers, diff and quote markers) are kept.
func pemBodies(s string, prio int, out []finding) []finding {
	type line struct {
		content span // the base64, or empty
		width   int  // 64 or 70 for a full body line, else 0
	}
	var lines []line
	for pos := 0; pos <= len(s); {
		end := lineEnd(s, pos)
		c := base64Content(s, pos, end)
		w := c.end - c.start
		if w != 64 && w != 70 || strings.IndexByte(s[c.start:c.end], '=') >= 0 {
			w = 0
		}
		lines = append(lines, line{c, w})
		pos = end + 1
	}
	for i := 0; i < len(lines); {
		if lines[i].width == 0 {
			i++
			continue
		}
		j := i
		for j < len(lines) && lines[j].width == lines[i].width {
			j++
		}
		// lines[i:j] is a run of full lines; a shorter one may close it.
		last := j
		if last < len(lines) && lines[last].content.end > lines[last].content.start {
			last++
		}
		endsKey := last < len(lines) && isPrivateEnd(s, lines[last].content)
		if j-i >= 3 || endsKey {
			first := i
			if first > 0 && lines[first-1].content.end-lines[first-1].content.start >= 8 {
				first-- // the cut start of the run
			}
			if !publicBlockAbove(s, lines[first].content.start) {
				for _, l := range lines[first:last] {
					if l.content.end > l.content.start {
						out = append(out, finding{l.content, "private-key", prio})
					}
				}
			}
		}
		i = max(j, i+1)
	}
	return out
}

// base64Content returns the base64 text of the line s[pos:end] after its
// prefix (spaces, a line number and tab or colon, a diff or quote marker,
// the ellipsis of a cut line),
// or an empty span when the rest is not base64.
func base64Content(s string, pos, end int) span {
	i := pos
	for i < end && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	k := i
	for k < end && s[k] >= '0' && s[k] <= '9' {
		k++
	}
	if k > i && k < end && (s[k] == '\t' || s[k] == ':' || s[k] == '|') {
		i = k + 1
	}
	if i < end && strings.IndexByte("+-> ", s[i]) >= 0 {
		i++
	}
	if strings.HasPrefix(s[i:end], "…") {
		i += len("…") // a line cut at its start
	}
	for i < end && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	e := end
	for e > i && (s[e-1] == ' ' || s[e-1] == '\t' || s[e-1] == '\r') {
		e--
	}
	if e == i {
		return span{i, i}
	}
	pad := e
	for pad > i && s[pad-1] == '=' {
		pad--
	}
	if e-pad > 2 {
		return span{i, i}
	}
	for k := i; k < pad; k++ {
		c := s[k]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/') {
			return span{i, i}
		}
	}
	return span{i, e}
}

// isPrivateEnd reports whether the line holding c is a private key's END
// line.
func isPrivateEnd(s string, c span) bool {
	l := s[lineStart(s, c.start):lineEnd(s, c.start)]
	return strings.Contains(l, "-----END ") && strings.Contains(l, "PRIVATE KEY")
}

// publicBlockAbove reports whether the nearest BEGIN line above pos, within
// a few header lines, opens something public.
func publicBlockAbove(s string, pos int) bool {
	p := lineStart(s, pos)
	for range 4 {
		if p == 0 {
			return false
		}
		p = lineStart(s, p-1)
		l := s[p:lineEnd(s, p)]
		if strings.Contains(l, "-----BEGIN ") {
			return !strings.Contains(l, "PRIVATE")
		}
	}
	return false
}
