package gitflow

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	repoctx "github.com/git-codex/git-codex/context"

	"github.com/git-codex/git-codex/gitstore"
)

// RequireContextFilesKey is the git config key that turns the pre-push
// hook's missing-context-file warning into a refused push.
const RequireContextFilesKey = "codex.requireContextFiles"

// ErrContextFilesMissing is returned by PrePush when a context file is
// missing and codex.requireContextFiles is true: the push must stop.
var ErrContextFilesMissing = errors.New("required context files are missing")

// PrePushOptions are the hook's arguments: git passes the remote's name
// (or its URL when pushing to a URL), the URL, and one line per ref on
// standard input: "<local ref> <local sha> <remote ref> <remote sha>".
type PrePushOptions struct {
	Remote string
	URL    string
	// RefLines is git's standard input to the hook.
	RefLines io.Reader
	// Getenv reads the environment (for the recursion guard).
	Getenv func(string) string
	// MaxRounds bounds fetch/merge/push rounds; 0 means 3.
	MaxRounds int
	// DryRun reports whether the push running the hook is a dry run, when
	// nothing may be sent; nil asks the process tree (`git push -n`).
	DryRun func() bool
}

// PrePushResult says what the hook did. Warnings are one line each, for
// standard error.
type PrePushResult struct {
	// MissingContext lists the context files that do not exist.
	MissingContext []string
	// Skipped says why no notes were sent ("" when some were).
	Skipped string
	// Pushed lists the topics whose notes were sent.
	Pushed []string
	// Reasons says, for each topic in Pushed, why it is shared with the
	// remote (one of the Reason… texts).
	Reasons map[string]string
	// Warnings are problems that did not stop the user's push.
	Warnings []string
}

// PrePush is what `git codex hook pre-push` does inside `git push`:
//
//  1. It checks that the context files exist. A missing one is a warning,
//     or ErrContextFilesMissing when codex.requireContextFiles is true. One
//     that is untracked or has uncommitted changes is a warning: the push
//     does not carry it to anyone.
//  2. It sends the local topic notes refs (refs/notes/codex/*) that are
//     shared with the remote (see share.go: by default the topics whose
//     branch the push sends or the remote has, those attached to a commit
//     the push publishes, and those the remote already has) and changed
//     since the last successful send, without force and with --no-verify
//     (so the hook never recurses). A rejection (the remote's notes moved)
//     is answered with fetch, union merge and push again, a bounded number
//     of times. Private topics and topics not shared with the remote never
//     leave.
//
// Nothing is sent when every pushed ref line is a deletion, and a notes ref
// the user's push itself updates is left to it. With no notes refs at all
// it starts no subprocess; with notes that the remote already has (per the
// refs/notes/remotes/<remote>/… tracking refs) it touches no network.
//
// Failures to send notes never fail the push: they become Warnings, and
// the returned error is nil. The only error is ErrContextFilesMissing.
func PrePush(ctx context.Context, repo *gitstore.Repo, opt PrePushOptions) (PrePushResult, error) {
	var res PrePushResult
	getenv := opt.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	if getenv(GuardEnv) != "" {
		res.Skipped = "running inside git codex's own notes push"
		return res, nil
	}
	lines, err := parseRefLines(opt.RefLines)
	if err != nil {
		res.Warnings = append(res.Warnings, "could not read the pushed refs: "+err.Error())
	}
	deletesOnly, pushedRefs := summarizeRefLines(lines)

	if wt := repo.WorkTree(); wt != "" {
		for _, p := range repoctx.Check(wt) {
			res.MissingContext = append(res.MissingContext, p.File)
		}
	}
	if len(res.MissingContext) > 0 {
		if repo.ConfigBool(RequireContextFilesKey, false) {
			return res, fmt.Errorf("%w: %s", ErrContextFilesMissing, strings.Join(res.MissingContext, ", "))
		}
		res.Warnings = append(res.Warnings, "missing context files: "+strings.Join(res.MissingContext, ", ")+
			" (run 'git codex init' to scaffold them)")
	}
	if repo.WorkTree() != "" && !deletesOnly {
		probs, err := repoctx.CheckTracked(ctx, repo)
		if err != nil {
			res.Warnings = append(res.Warnings, err.Error())
		}
		for _, p := range probs {
			res.Warnings = append(res.Warnings, p.File+" "+p.Detail+" (run '"+repoctx.CommitHint(p)+"')")
		}
	}

	if deletesOnly {
		res.Skipped = "the push only deletes refs"
		return res, nil
	}
	// Cheapest test first: no notes refs at all means no sessions.
	if any, err := repo.ListRefs("refs/notes/"); err != nil || len(any) == 0 {
		res.Skipped = "no session notes"
		if err != nil {
			res.Warnings = append(res.Warnings, "session notes not sent: "+err.Error())
		}
		return res, nil
	}
	dryRun := opt.DryRun
	if dryRun == nil {
		dryRun = pushIsDryRun // reads the parent processes' command lines
	}
	if dryRun() {
		res.Skipped = "the push is a dry run"
		return res, nil
	}
	remote := opt.Remote
	if remote == "" {
		remote = opt.URL
	}
	if remote == "" {
		res.Skipped = "no remote"
		return res, nil
	}
	nr := newNotesRemote(repo, remote)
	local, err := nr.localRefs()
	if err != nil {
		res.Warnings = append(res.Warnings, "session notes not sent: "+err.Error())
		return res, nil
	}
	if len(local) == 0 {
		res.Skipped = "no session notes"
		return res, nil
	}
	maxRounds := opt.MaxRounds
	if maxRounds <= 0 {
		maxRounds = 3
	}
	// Refs the user's own push updates are left to it: pushing them first
	// would make its expected old values stale and fail it.
	nr.skip = pushedRefs
	tracking, err := nr.trackingRefs()
	if err != nil {
		res.Warnings = append(res.Warnings, "session notes not sent: "+err.Error())
		return res, nil
	}
	// Only topics with something to send are judged: a topic the remote
	// has as it is here costs nothing, and the pushed commits are listed
	// only when a topic's sharing depends on them.
	changed := map[string]string{}
	for ref, v := range local {
		if tracking[nr.trackingRef(ref)] != v && !nr.skip[ref] {
			changed[ref] = v
		}
	}
	if len(changed) == 0 {
		res.Skipped = "the remote has all session notes"
		return res, nil
	}
	policy, warns, err := loadSharing(repo)
	res.Warnings = append(res.Warnings, warns...)
	if err != nil {
		res.Warnings = append(res.Warnings, "session notes not sent: "+err.Error())
		return res, nil
	}
	scope := newPushScope(ctx, repo, remote, lines)
	send, reasons := map[string]bool{}, map[string]string{}
	for ref, v := range changed {
		topic := nr.topicOf(ref)
		if ok, why := policy.decide(topic, remote, func(t string) string { return scope.why(t, v) }); ok {
			send[ref], reasons[topic] = true, why
		}
	}
	if scope.commitsErr != nil {
		res.Warnings = append(res.Warnings, "could not tell which commits the push sends: "+scope.commitsErr.Error())
	}
	if len(send) == 0 {
		res.Skipped = "no topic with new notes is shared with " + remote
		return res, nil
	}
	var merged []string
	pushed, _, err := nr.exchange(ctx, maxRounds, send, &merged)
	sortUnique(&pushed)
	res.Pushed = pushed
	res.Reasons = map[string]string{}
	for _, t := range pushed {
		res.Reasons[t] = reasons[t]
	}
	if err != nil {
		res.Warnings = append(res.Warnings, "session notes not sent: "+err.Error()+" (run 'git codex sync' later)")
		return res, nil
	}
	if len(pushed) == 0 {
		res.Skipped = "the remote has all session notes"
	}
	return res, nil
}

// refLine is one line git gives the pre-push hook.
type refLine struct {
	localRef, localSHA, remoteRef, remoteSHA string
}

// parseRefLines reads git's ref lines.
func parseRefLines(r io.Reader) ([]refLine, error) {
	if r == nil {
		return nil, nil
	}
	var lines []refLine
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 {
			continue
		}
		lines = append(lines, refLine{localRef: f[0], localSHA: f[1], remoteRef: f[2], remoteSHA: f[3]})
	}
	return lines, sc.Err()
}

// summarizeRefLines reports whether the lines are all deletions (local sha
// all zeros), and which remote refs the push updates. No lines at all
// ("Everything up-to-date") is not a deletion: notes are still worth
// sending then.
func summarizeRefLines(lines []refLine) (bool, map[string]bool) {
	refs := map[string]bool{}
	deletions := 0
	for _, l := range lines {
		refs[l.remoteRef] = true
		if isZero(l.localSHA) {
			deletions++
		}
	}
	return len(lines) > 0 && deletions == len(lines), refs
}
