package gitstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/git-codex/git-codex/internal/text"
)

// StaleLockAge is the age from which a ref lock file is reported as left
// behind by a killed process. Writers hold ref locks for milliseconds; a
// younger lock may belong to a write in progress and is not reported.
const StaleLockAge = 30 * time.Second

// StorageProblem is damage found under the notes refs.
type StorageProblem struct {
	Ref    string `json:"ref"`
	Path   string `json:"path,omitempty"` // the file concerned, when there is one
	Detail string `json:"detail"`
	// Fix is the command that repairs it.
	Fix string `json:"fix"`
}

func (p StorageProblem) String() string { return p.Ref + ": " + p.Detail }

// VerifyNotesRefs scans the notes refs under the configured prefix
// (refs/notes/codex/ by default) for damage: loose ref files that are empty
// (an interrupted non-atomic write) or hold something other than an object
// id, lock files left by a killed writer (those naming a git codex process
// that is provably gone, whatever their age, and any older than
// StaleLockAge), and refs,
// loose or packed, whose commit is missing from the object store. Each
// problem names the command that fixes it. It runs at most one git process.
func (repo *Repo) VerifyNotesRefs(ctx context.Context) ([]StorageProblem, error) {
	prefix := repo.RefPrefix()
	root := filepath.Join(repo.CommonDir(), filepath.FromSlash(prefix))
	var probs []StorageProblem
	values := map[string]string{} // ref → object id, loose winning over packed
	now := time.Now()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(repo.CommonDir(), p)
		ref := filepath.ToSlash(rel)
		if lockRef, ok := strings.CutSuffix(ref, ".lock"); ok {
			fi, err := d.Info()
			if err != nil {
				return nil // gone meanwhile: released
			}
			age := now.Sub(fi.ModTime())
			switch owner, gone := staleLock(p, false); {
			case gone:
				probs = append(probs, StorageProblem{
					Ref: lockRef, Path: p,
					Detail: fmt.Sprintf("stale lock file %s (%s old) left by git codex process %d, which is gone; it blocks writes to this topic by git",
						filepath.Base(p), age.Round(time.Second), owner.PID),
					Fix: fmt.Sprintf("rm '%s'   # the next git codex write removes it too", p),
				})
			case age >= StaleLockAge:
				probs = append(probs, StorageProblem{
					Ref: lockRef, Path: p,
					Detail: fmt.Sprintf("stale lock file %s (%s old) blocks every write to this topic",
						filepath.Base(p), age.Round(time.Second)),
					Fix: fmt.Sprintf("rm '%s'   # once no git or git codex process is running", p),
				})
			}
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // removed by pack-refs while we walked
			}
			return err
		}
		v := strings.TrimSpace(string(b))
		switch {
		case len(v) == 0:
			probs = append(probs, StorageProblem{
				Ref: ref, Path: p, Detail: "zero-byte ref file (a write was interrupted); git ignores the topic",
				Fix: fmt.Sprintf("rm '%s' && git codex sync   # sync restores the topic from the remote if it was pushed", p),
			})
		case strings.HasPrefix(v, "ref: "):
			// a symbolic ref: resolved by git, nothing to check here
		case !isObjectID(v):
			probs = append(probs, StorageProblem{
				Ref: ref, Path: p, Detail: fmt.Sprintf("broken ref file (holds %q, not an object id)", text.Cut(v, 41)),
				Fix: fmt.Sprintf("rm '%s' && git codex sync   # sync restores the topic from the remote if it was pushed", p),
			})
		default:
			values[ref] = v
		}
		return nil
	})
	if err != nil {
		return probs, fmt.Errorf("verify notes refs under %s: %w", prefix, err)
	}
	probs = append(probs, repo.leftoverStagedRefs()...)
	packed, err := repo.ListRefs(prefix)
	if err != nil {
		return probs, fmt.Errorf("verify notes refs under %s: %w", prefix, err)
	}
	for ref, v := range packed {
		if _, loose := values[ref]; !loose && !hasProblem(probs, ref) {
			values[ref] = v
		}
	}
	if len(values) == 0 {
		sortProblems(probs)
		return probs, nil
	}
	refs := make([]string, 0, len(values))
	ids := make([]string, 0, len(values))
	for ref := range values {
		refs = append(refs, ref)
	}
	sort.Strings(refs)
	for _, ref := range refs {
		ids = append(ids, values[ref])
	}
	types, err := repo.ObjectTypes(ctx, ids)
	if err != nil {
		return probs, fmt.Errorf("verify notes objects: %w", err)
	}
	for _, ref := range refs {
		switch typ, ok := types[values[ref]]; {
		case !ok:
			probs = append(probs, StorageProblem{
				Ref: ref, Detail: "points at " + values[ref][:12] + ", which is missing from the object store",
				Fix: "git update-ref -d " + ref + " && git codex sync   # sync restores the topic from the remote if it was pushed",
			})
		case typ != "commit":
			probs = append(probs, StorageProblem{
				Ref: ref, Detail: "points at a " + typ + ", not a notes commit",
				Fix: "git update-ref -d " + ref,
			})
		}
	}
	sortProblems(probs)
	return probs, nil
}

// leftoverStagedRefs reports the refs a large push staged under
// refs/codex/push/ and a kill kept it from removing (see PushRefs): the
// next large push drops them, but until then `git log --all` shows them and
// a mirror push would send them.
func (repo *Repo) leftoverStagedRefs() []StorageProblem {
	staged, err := repo.ListRefs(pushStagePrefix)
	if err != nil {
		return nil
	}
	count := map[string]int{}
	for ref := range staged {
		token, _, _ := strings.Cut(strings.TrimPrefix(ref, pushStagePrefix), "/")
		count[token]++
	}
	var probs []StorageProblem
	for token, n := range count {
		if !stagedByGonePush(token) {
			continue
		}
		stage := pushStagePrefix + token + "/"
		probs = append(probs, StorageProblem{
			Ref:    stage,
			Detail: fmt.Sprintf("%d ref(s) staged by a push of notes that was killed; 'git log --all' shows them and a mirror push would send them", n),
			Fix:    fmt.Sprintf("git for-each-ref --format='delete %%(refname)' %s | git update-ref --stdin   # the next large push removes them too", stage),
		})
	}
	return probs
}

func hasProblem(probs []StorageProblem, ref string) bool {
	for _, p := range probs {
		if p.Ref == ref {
			return true
		}
	}
	return false
}

func sortProblems(probs []StorageProblem) {
	sort.SliceStable(probs, func(i, j int) bool { return probs[i].Ref < probs[j].Ref })
}

func isObjectID(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
