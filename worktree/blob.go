package worktree

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"strconv"
)

// ObjectFormat is the hash a repository names its objects with, as git's
// extensions.objectFormat says: SHA1 (the default) or SHA256.
type ObjectFormat string

// The object formats git knows.
const (
	SHA1   ObjectFormat = "sha1"
	SHA256 ObjectFormat = "sha256"
)

// BlobID returns the id git gives a blob holding data ("blob <size>\x00"
// and the content, hashed with the repository's object format; the zero
// format is SHA-1), in lower-case hex: what `git hash-object` prints.
func BlobID(format ObjectFormat, data []byte) string {
	var h hash.Hash
	if format == SHA256 {
		h = sha256.New()
	} else {
		h = sha1.New()
	}
	h.Write([]byte("blob " + strconv.Itoa(len(data)) + "\x00"))
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

// shortBlob is the abbreviation of a blob id shown to the model and in
// messages: 12 hex digits, enough to be unambiguous in practice.
func shortBlob(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// checkFormat refuses an object format git does not know.
func checkFormat(f ObjectFormat) (ObjectFormat, error) {
	switch f {
	case "", SHA1:
		return SHA1, nil
	case SHA256:
		return SHA256, nil
	}
	return "", fmt.Errorf("object format %q: want %q or %q", f, SHA1, SHA256)
}
