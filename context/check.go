package repoctx

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// The context files every first message refers to, relative to the top of
// the work tree.
const (
	ArchitectureFile = "ARCHITECTURE.md"
	AgentsFile       = "AGENTS.md"
)

// RequiredFiles lists the context files Check requires, in the order they are
// reported and scaffolded.
var RequiredFiles = []string{ArchitectureFile, AgentsFile}

// ProblemKind says what is wrong with a context file.
type ProblemKind string

// Problem kinds reported by Check.
const (
	// ProblemMissing: the file does not exist.
	ProblemMissing ProblemKind = "missing"
	// ProblemEmpty: the file exists but holds only white space.
	ProblemEmpty ProblemKind = "empty"
	// ProblemUnreadable: the path exists but cannot be read as a file
	// (a directory, a dangling symlink, no permission).
	ProblemUnreadable ProblemKind = "unreadable"
)

// Problem is one thing wrong with a required context file.
type Problem struct {
	File   string      `json:"file"` // relative to the work tree top, slash-separated
	Kind   ProblemKind `json:"kind"`
	Detail string      `json:"detail"`
}

func (p Problem) String() string { return p.File + ": " + p.Detail }

// Check reports what is wrong with the required context files under root (the
// top of the work tree): each missing, empty or unreadable file is one Problem.
// No problems means the files are in place. Check reads at most the first
// 64 KiB of each file.
func Check(root string) []Problem {
	var probs []Problem
	for _, name := range RequiredFiles {
		if p, ok := CheckFile(root, name); !ok {
			probs = append(probs, p)
		}
	}
	return probs
}

// CheckFile checks one context file (name relative to root, slash-separated):
// ok when it exists and holds more than white space, else the Problem.
func CheckFile(root, name string) (Problem, bool) {
	path := filepath.Join(root, filepath.FromSlash(name))
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if _, lerr := os.Lstat(path); lerr == nil {
			return Problem{File: name, Kind: ProblemUnreadable, Detail: "is a dangling symbolic link"}, false
		}
		return Problem{File: name, Kind: ProblemMissing, Detail: "does not exist"}, false
	case err != nil:
		return Problem{File: name, Kind: ProblemUnreadable, Detail: fmt.Sprintf("cannot be read: %v", err)}, false
	case fi.IsDir():
		return Problem{File: name, Kind: ProblemUnreadable, Detail: "is a directory, not a file"}, false
	}
	empty, err := isBlankFile(path)
	if err != nil {
		return Problem{File: name, Kind: ProblemUnreadable, Detail: fmt.Sprintf("cannot be read: %v", err)}, false
	}
	if empty {
		return Problem{File: name, Kind: ProblemEmpty, Detail: "is empty"}, false
	}
	return Problem{}, true
}

// isBlankFile reports whether the file holds nothing but white space.
func isBlankFile(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	n, err := io.ReadFull(f, buf)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return false, err
	}
	return strings.TrimSpace(string(buf[:n])) == "", nil
}
