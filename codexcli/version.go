package codexcli

import (
	"fmt"
	"strconv"
	"strings"
)

// MinVersion is the oldest Codex CLI this package drives. Its flags, its
// event schema and its error messages were read from this version (the
// recorded streams in testdata come from it); older ones differ (for
// example, `exec resume` and the `file_change` items changed shape before).
const MinVersion = "0.169.0"

// InstallCommand installs or updates the Codex CLI.
const InstallCommand = "npm install -g @openai/codex"

// Version is a Codex CLI version, as `codex --version` prints it
// ("codex-cli 0.169.0").
type Version struct {
	Major, Minor, Patch int
	// Pre is the pre-release suffix without its dash ("alpha.2"), or "".
	Pre string
}

// ParseVersion reads "codex-cli X.Y.Z", "X.Y.Z" or "X.Y.Z-pre" (surrounding
// space ignored).
func ParseVersion(s string) (Version, error) {
	t := strings.TrimSpace(s)
	t = strings.TrimPrefix(t, "codex-cli ")
	t = strings.TrimPrefix(t, "v")
	core, pre, _ := strings.Cut(t, "-")
	core, _, _ = strings.Cut(core, "+")
	parts := strings.Split(core, ".")
	if len(parts) != 3 {
		return Version{}, fmt.Errorf("parse codex version %q: want X.Y.Z", s)
	}
	var n [3]int
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 {
			return Version{}, fmt.Errorf("parse codex version %q: %q is not a number", s, p)
		}
		n[i] = v
	}
	return Version{Major: n[0], Minor: n[1], Patch: n[2], Pre: pre}, nil
}

// String returns "X.Y.Z" or "X.Y.Z-pre".
func (v Version) String() string {
	s := fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch)
	if v.Pre != "" {
		s += "-" + v.Pre
	}
	return s
}

// Less reports whether v is older than w. A pre-release is older than its
// release; two pre-releases of one version compare as strings.
func (v Version) Less(w Version) bool {
	if v.Major != w.Major {
		return v.Major < w.Major
	}
	if v.Minor != w.Minor {
		return v.Minor < w.Minor
	}
	if v.Patch != w.Patch {
		return v.Patch < w.Patch
	}
	switch {
	case v.Pre == w.Pre:
		return false
	case v.Pre == "":
		return false
	case w.Pre == "":
		return true
	}
	return v.Pre < w.Pre
}

// minVersion is MinVersion parsed (a test keeps the two equal).
var minVersion = Version{Major: 0, Minor: 169, Patch: 0}
