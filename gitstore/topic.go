package gitstore

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// DefaultRefPrefix is where topic notes refs live unless codex.notesRef says
// otherwise.
const DefaultRefPrefix = "refs/notes/codex/"

// maxEncodedTopic is the longest encoded topic: NAME_MAX (255) less the
// ".lock" suffix of the lock file.
const maxEncodedTopic = 250

// ValidateTopic checks that topic can be stored: non-empty valid UTF-8
// without control characters, at most 200 bytes and at most 250 once
// encoded (non-ASCII bytes take three). Every such topic has a ref name.
func ValidateTopic(topic string) error {
	if topic == "" {
		return fmt.Errorf("%w: empty topic", ErrInvalidTopic)
	}
	if !utf8.ValidString(topic) {
		return fmt.Errorf("%w: topic is not valid UTF-8", ErrInvalidTopic)
	}
	for _, r := range topic {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("%w: topic %q has a control character", ErrInvalidTopic, topic)
		}
	}
	if len(topic) > 200 {
		return fmt.Errorf("%w: topic is longer than 200 bytes", ErrInvalidTopic)
	}
	// The encoded topic is a file name (and its ".lock" twin) under
	// refs/: it must fit the file system's 255-byte name limit.
	if len(EncodeTopic(topic)) > maxEncodedTopic {
		return fmt.Errorf("%w: topic %.20q… is too long once escaped for a ref name (%d of %d bytes)",
			ErrInvalidTopic, topic, len(EncodeTopic(topic)), maxEncodedTopic)
	}
	return nil
}

// EncodeTopic turns a topic into a single valid ref-name component. The
// mapping is reversible (DecodeTopic) and injective: '/' is escaped, so
// "feature" and "feature/x" become sibling files, never a file and a
// directory. Bytes outside [A-Za-z0-9_-] are written as %XX, except dots that
// git allows (not first, not doubled, not last, not before a final "lock").
func EncodeTopic(topic string) string {
	i := 0
	for i < len(topic) && keptAsIs(topic, i) {
		i++
	}
	if i == len(topic) {
		return topic // most names: nothing to escape
	}
	b := make([]byte, 0, len(topic)+8)
	b = append(b, topic[:i]...)
	for ; i < len(topic); i++ {
		if c := topic[i]; keptAsIs(topic, i) {
			b = append(b, c)
		} else {
			b = append(b, '%', upperHex[c>>4], upperHex[c&15])
		}
	}
	return string(b)
}

const upperHex = "0123456789ABCDEF"

// encodesAs reports whether EncodeTopic(topic) is enc, without making it.
func encodesAs(topic, enc string) bool {
	j := 0
	for i := 0; i < len(topic); i++ {
		c := topic[i]
		switch {
		case keptAsIs(topic, i):
			if j >= len(enc) || enc[j] != c {
				return false
			}
			j++
		case j+3 > len(enc) || enc[j] != '%' || enc[j+1] != upperHex[c>>4] || enc[j+2] != upperHex[c&15]:
			return false
		default:
			j += 3
		}
	}
	return j == len(enc)
}

// keptAsIs reports whether EncodeTopic keeps topic[i] as it is.
func keptAsIs(topic string, i int) bool {
	switch c := topic[i]; {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-':
		return true
	case c == '.':
		return i > 0 && i < len(topic)-1 && topic[i-1] != '.' && topic[i+1] != '.' &&
			!(i == len(topic)-5 && topic[i+1:] == "lock")
	}
	return false
}

// DecodeTopic reverses EncodeTopic. A name EncodeTopic never writes (an
// escape in lower case or of a character kept as it is, a character it
// escapes) is refused: git codex neither wrote nor reads such a ref, and
// taking it for the topic would write to another ref than it read.
func DecodeTopic(enc string) (string, error) {
	t, err := decodeTopic(enc)
	if err == nil && !encodesAs(t, enc) {
		return "", fmt.Errorf("%w: %q is not how git codex names a topic's ref (that would be %q)", ErrInvalidTopic, enc, EncodeTopic(t))
	}
	return t, err
}

func decodeTopic(enc string) (string, error) {
	if strings.IndexByte(enc, '%') < 0 {
		return enc, nil
	}
	var b strings.Builder
	b.Grow(len(enc))
	for i := 0; i < len(enc); i++ {
		if enc[i] != '%' {
			b.WriteByte(enc[i])
			continue
		}
		if i+2 >= len(enc) {
			return "", fmt.Errorf("%w: bad escape in %q", ErrInvalidTopic, enc)
		}
		hi, ok1 := unhex(enc[i+1])
		lo, ok2 := unhex(enc[i+2])
		if !ok1 || !ok2 {
			return "", fmt.Errorf("%w: bad escape in %q", ErrInvalidTopic, enc)
		}
		b.WriteByte(hi<<4 | lo)
		i += 2
	}
	return b.String(), nil
}

// unhex is the value of one hexadecimal digit, either case.
func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// RefPrefix is the notes ref prefix in use: codex.notesRef when set (with a
// trailing slash added), otherwise DefaultRefPrefix.
func (r *Repo) RefPrefix() string {
	r.prefixOnce.Do(func() {
		r.notesPrefix = DefaultRefPrefix
		if v, ok := r.Config("codex.notesRef"); ok && strings.HasPrefix(v, "refs/notes/") {
			r.notesPrefix = strings.TrimSuffix(v, "/") + "/"
		}
	})
	return r.notesPrefix
}

// TopicRef is the notes ref that stores topic.
func (r *Repo) TopicRef(topic string) string { return r.RefPrefix() + EncodeTopic(topic) }
