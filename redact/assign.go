package redact

import "strings"

// nameWords prefilter the lines assignments looks at: a secret's name holds
// one of them.
var nameWords = spellings("key", "token", "secret", "pass", "pwd", "credential", "auth")

// assignments appends the values of assignments whose name looks secret
// (see secretName), in the forms code and configuration write them:
//
//	NAME=VALUE   NAME: VALUE   NAME := VALUE   NAME ::= VALUE   NAME :::= VALUE
//	NAME ?= VALUE   $NAME .= VALUE   "NAME" => VALUE   var NAME string = VALUE
//	f("NAME", "VALUE")   <NAME>VALUE</NAME>
//
// The name may be quoted (JSON) and must start the line or follow
// whitespace, ';', ',', '{', '(' or '$'. A quoted value whose closing
// quote is missing (an answer cut mid-value) runs to the end of the line.
func assignments(s string, prio int, out []finding) []finding {
	if !containsAny(s, nameWords) {
		return out
	}
	for pos := 0; pos < len(s); {
		end := lineEnd(s, pos)
		if containsAny(s[pos:end], nameWords) {
			out = assignLine(s, pos, end, prio, out)
		}
		pos = end + 1
	}
	return out
}

// assignLine finds the assignments on the line s[base:end].
func assignLine(s string, base, end, prio int, out []finding) []finding {
	line := s[base:end]
	for i := 0; i < len(line); i++ {
		c := line[i]
		if c == '<' {
			if f, ok := xmlElement(s, base+i, prio); ok {
				out = append(out, f)
			}
			continue
		}
		if c != '=' && c != ':' && c != ',' {
			continue
		}
		sepStart, sepEnd := i, i+1
		next := byte(0)
		if i+1 < len(line) {
			next = line[i+1]
		}
		switch {
		case c == ',':
			// Only the call form f("NAME", "VALUE").
			if !callName(line, i) {
				continue
			}
		case c == ':':
			k := i
			for k < len(line) && line[k] == ':' {
				k++
			}
			switch {
			case k < len(line) && line[k] == '=' && k-i <= 3:
				sepEnd = k + 1 // := ::= :::=
			case k-i > 1 || next == '/':
				i = k - 1 // "::" or "://"
				continue
			}
		case next == '=' || next == '~':
			i++ // "==", "=~"
			continue
		case next == '>':
			sepEnd = i + 2 // "=>"
		case i > 0 && (line[i-1] == '?' || line[i-1] == '.'):
			sepStart = i - 1 // make's ?=, PHP's .=
		case i > 0 && strings.IndexByte("=!<>+-*/%&|^", line[i-1]) >= 0:
			continue // "!=", "+=", …
		}
		name, ok := nameBefore(line, sepStart)
		if !ok {
			continue
		}
		kind := secretName(name)
		if kind == "" {
			continue
		}
		// The value, forwards from the separator.
		vs := sepEnd
		for vs < len(line) && (line[vs] == ' ' || line[vs] == '\t') {
			vs++
		}
		ve := valueEnd(line, vs)
		if ve == vs {
			continue
		}
		i = ve - 1
		if !literalValue(name, line[sepStart:vs], line[vs:ve], line[ve:]) {
			continue
		}
		if q := line[vs]; q != '"' && q != '\'' && q != '`' {
			// A bare value: code writes a secret as a string literal, so
			// after := or before a call or composite literal it is an
			// expression; after a colon it is a JSON or YAML value.
			sep := strings.TrimSpace(line[sepStart:sepEnd])
			if sep == ":=" || sep == "," || ve < len(line) && strings.IndexByte("({[", line[ve]) >= 0 {
				continue
			}
			if sep == ":" && ve < len(line) && line[ve] == ',' && !quotedName(line, sepStart) {
				continue
			}
		} else if line[sepStart] == ',' && constName().MatchString(strings.Trim(line[vs:ve], "\"'`")) {
			continue // f("NAME", "OTHER_NAME"): a list of names
		}
		rs, re := vs, ve
		if q := line[vs]; q == '"' || q == '\'' || q == '`' {
			rs = vs + 1
			if re > rs && line[re-1] == q {
				re--
			}
		}
		for re > rs && (line[re-1] == ' ' || line[re-1] == '\t' || line[re-1] == '\r') {
			re--
		}
		if re > rs {
			out = append(out, finding{span{base + rs, base + re}, kind, prio})
		}
	}
	return out
}

var constName = lazyRegexp(`^[A-Z][A-Z0-9_]*$`)

// quotedName reports whether the name before the separator at line[sep]
// is quoted (JSON).
func quotedName(line string, sep int) bool {
	k := sep
	for k > 0 && (line[k-1] == ' ' || line[k-1] == '\t') {
		k--
	}
	return k > 0 && (line[k-1] == '"' || line[k-1] == '\'')
}

// typeWords are type names that may stand between a variable and its value
// (Go's var NAME string = "…").
var typeWords = map[string]bool{"string": true, "String": true, "str": true, "[]byte": true}

// nameBefore returns the name assigned by the separator at line[sep]: the
// word before it, quoted or not, which must start the line or follow a
// space, tab, ';', ',', '{', '(' or '$'.
func nameBefore(line string, sep int) (string, bool) {
	ne := sep
	for ne > 0 && (line[ne-1] == ' ' || line[ne-1] == '\t') {
		ne--
	}
	if ne > 0 && (line[ne-1] == '"' || line[ne-1] == '\'') {
		ne--
	}
	ns := ne
	for ns > 0 && isNameByte(line[ns-1]) {
		ns--
	}
	for ns < ne && !isNameStart(line[ns]) {
		ns++
	}
	if ns == ne {
		return "", false
	}
	name := line[ns:ne]
	if typeWords[name] {
		// var NAME string = …: the name is the word before the type.
		k := ns
		for k > 0 && line[k-1] == ' ' {
			k--
		}
		if k < ns && k > 0 && isNameByte(line[k-1]) {
			return nameBefore(line, k)
		}
	}
	before := ns
	if before > 0 && (line[before-1] == '"' || line[before-1] == '\'') {
		before--
	}
	if before > 0 && strings.IndexByte(" \t;,{($", line[before-1]) < 0 {
		return "", false
	}
	return name, true
}

// callName reports whether the comma at line[i] follows a quoted name that
// opens a call: f("NAME", …).
func callName(line string, i int) bool {
	k := i
	for k > 0 && line[k-1] == ' ' {
		k--
	}
	if k < 2 || (line[k-1] != '"' && line[k-1] != '\'') {
		return false
	}
	q := line[k-1]
	open := strings.LastIndexByte(line[:k-1], q)
	return open > 0 && line[open-1] == '('
}

// valueEnd returns the end of the value starting at line[vs]: a quoted
// string (closing quote included; the end of the line when there is none)
// or a bare word.
func valueEnd(line string, vs int) int {
	if vs >= len(line) {
		return vs
	}
	switch q := line[vs]; q {
	case '"', '\'', '`':
		for k := vs + 1; k < len(line); k++ {
			if q == '"' && line[k] == '\\' {
				k++
				continue
			}
			if line[k] == q {
				return k + 1
			}
		}
		return len(line)
	}
	if strings.IndexByte("\"'#;,=(){}[]<>", line[vs]) >= 0 {
		return vs
	}
	k := vs
	for k < len(line) && strings.IndexByte(" \t\r\"'#;,(){}[]", line[k]) < 0 {
		k++
	}
	return k
}

func isNameStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isNameByte(c byte) bool {
	return isNameStart(c) || c >= '0' && c <= '9' || c == '.' || c == '-'
}

// xmlElement finds <NAME>VALUE</NAME> at s[i] (the '<'), the value on the
// same line or alone on the next one, when NAME looks secret.
func xmlElement(s string, i, prio int) (finding, bool) {
	j := i + 1
	for j < len(s) && isNameByte(s[j]) {
		j++
	}
	if j == i+1 || j >= len(s) || s[j] != '>' {
		return finding{}, false
	}
	name := s[i+1 : j]
	kind := secretName(name)
	if kind == "" {
		return finding{}, false
	}
	closing := "</" + name + ">"
	vs := j + 1
	ve := strings.Index(s[vs:], closing)
	if ve < 0 {
		return finding{}, false
	}
	ve += vs
	v := s[vs:ve]
	if strings.Count(v, "\n") > 2 {
		return finding{}, false
	}
	trimmed := strings.TrimSpace(v)
	if trimmed == "" || strings.Contains(trimmed, "<") || !literalValue(name, ">", trimmed, "") {
		return finding{}, false
	}
	start := vs + strings.Index(v, trimmed)
	return finding{span{start, start + len(trimmed)}, kind, prio}, true
}

// literalValue decides whether name SEP value holds a secret. Values that
// are references or code rather than literals are left alone: $VAR, ${VAR},
// calls, indexing, dotted identifiers, type names, empty strings and existing
// markers. A bare value after a colon counts only when it ends the line
// (YAML), so prose such as "Token: it expires hourly" is left alone.
func literalValue(name, sep, v, rest string) bool {
	quoted := len(v) >= 1 && (v[0] == '"' || v[0] == '\'' || v[0] == '`')
	if quoted {
		v = strings.TrimSuffix(v[1:], v[:1])
	}
	v = strings.TrimSpace(v)
	if v == "" || strings.HasPrefix(v, markerPrefix) {
		return false
	}
	switch v[0] {
	case '$':
		// $VAR, ${VAR}, $(cmd) are references; $2b$…, $argon2id$… are hashes.
		if len(v) > 1 && !(v[1] >= '0' && v[1] <= '9') && !strings.HasPrefix(v, "$argon2") &&
			!strings.HasPrefix(v, "$pbkdf2") && !strings.HasPrefix(v, "$scrypt") {
			return false
		}
	case '{', '<', '%', '*':
		return false
	}
	if strings.HasPrefix(v, "process.env") || strings.Contains(v, "{{") {
		return false
	}
	if quoted {
		return !dotted().MatchString(v) // "notes.rewriteRef": a name, not a secret
	}
	if strings.TrimSpace(sep) == ":" {
		line, _, _ := strings.Cut(rest, "\n")
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") && !strings.HasPrefix(line, ",") && !strings.HasPrefix(line, "}") {
			return false
		}
	}
	if strings.ContainsAny(v, "()[]") || dotted().MatchString(v) {
		return false
	}
	switch strings.ToLower(v) {
	case "true", "false", "null", "nil", "none", "undefined", "string", "str", "int",
		"number", "bool", "boolean", "bytes", "any", "optional", "required":
		return false
	}
	if k := strings.LastIndexByte(name, '.'); k >= 0 {
		name = name[k+1:]
	}
	if ident().MatchString(v) && normalise(v) == normalise(name) {
		return false // Token: token
	}
	return true
}

var (
	dotted = lazyRegexp(`^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+$`)
	ident  = lazyRegexp(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// normalise turns apiKey, api-key, api.key and API_KEY into API_KEY.
func normalise(name string) string {
	var b strings.Builder
	var prevLower bool
	for _, c := range name {
		switch {
		case c == '-' || c == '.' || c == '_':
			b.WriteByte('_')
			prevLower = false
			continue
		case c >= 'A' && c <= 'Z':
			if prevLower {
				b.WriteByte('_')
			}
			prevLower = false
		case c >= 'a' && c <= 'z':
			prevLower = true
			c -= 'a' - 'A'
		default:
			prevLower = c >= '0' && c <= '9'
		}
		b.WriteRune(c)
	}
	return b.String()
}

// nameIs reports whether the normalised name n is word or ends in _word.
func nameIs(n, word string) bool {
	return n == word || len(n) > len(word) && strings.HasSuffix(n, word) && n[len(n)-len(word)-1] == '_'
}

// notSecretKeys end in _KEY but name database or cache keys, or public halves.
var notSecretKeys = []string{"PUBLIC_KEY", "PRIMARY_KEY", "FOREIGN_KEY", "SORT_KEY", "PARTITION_KEY",
	"CACHE_KEY", "HASH_KEY", "RANGE_KEY", "SHORTCUT_KEY", "HOT_KEY", "MAP_KEY", "DICT_KEY", "LOOKUP_KEY",
	"IDEMPOTENCY_KEY", "ROUTING_KEY", "KEY_KEY", "SSH_KEY_PATH"}

// secretName returns the marker kind for a variable name that looks like it
// holds a secret, or "".
func secretName(name string) string {
	n := strings.Trim(normalise(name), "_")
	for _, ns := range notSecretKeys {
		if nameIs(n, ns) {
			return ""
		}
	}
	is := func(words ...string) bool {
		for _, w := range words {
			if nameIs(n, w) {
				return true
			}
		}
		return false
	}
	words := strings.Split(n, "_")
	last := words[len(words)-1]
	hasWord := func(pred func(string) bool) bool {
		for _, w := range words {
			if pred(w) {
				return true
			}
		}
		return false
	}
	switch {
	case strings.Contains(n, "AWS_SECRET"):
		return "aws-secret-key"
	case is("PASSWORD", "PASSWD", "PASSPHRASE", "PWD") && n != "PWD" && n != "OLDPWD",
		last == "PASS" && len(words) > 1 && strings.ToUpper(name) == name, // SMTP_PASS, not fixPass
		hasWord(func(w string) bool {
			// PGPASSWORD, MYSQL_PASSWORD_HASH, PASSWORD_FILE
			return strings.HasSuffix(w, "PASSWORD") || strings.HasSuffix(w, "PASSWD") || w == "PASSWORD"
		}):
		return "password"
	case is("TOKEN", "ACCESS_TOKEN", "REFRESH_TOKEN"):
		return "token"
	case is("SECRET", "CLIENT_SECRET", "SECRET_KEY") || strings.HasPrefix(n, "SECRET_"):
		return "secret"
	case is("KEY", "APIKEY", "CREDENTIALS", "CREDENTIAL", "AUTH") && n != "KEY" && n != "AUTH":
		return "secret"
	}
	return ""
}
