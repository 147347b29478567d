package notesync

import (
	"context"
	"strings"

	"github.com/git-codex/git-codex/gitstore"
)

// PushedRef is one ref line git gives the pre-push hook: "<local ref>
// <local sha> <remote ref> <remote sha>".
type PushedRef struct {
	LocalRef, LocalSHA, RemoteRef, RemoteSHA string
}

// Deletion reports whether the line deletes the remote ref.
func (p PushedRef) Deletion() bool { return isZero(p.LocalSHA) }

// SendOptions describe the push the notes go along with.
type SendOptions struct {
	// Remote is the remote's name, or its URL when the push names one.
	Remote string
	// Refs are the push's ref lines.
	Refs []PushedRef
	// MaxRounds bounds fetch/merge/push rounds; 0 means 5 (the user's
	// push waits for them).
	MaxRounds int
}

// SendResult says what Send did. Warnings are one line each.
type SendResult struct {
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

// Send is the sending half of the pre-push hook: it sends the local topic
// notes refs (refs/notes/codex/*) that are shared with the remote (see
// share.go: by default the topics whose branch the push sends or the remote
// has, those attached to a commit the push publishes, and those the remote
// already has) and changed since the last successful send, without force
// and with --no-verify (so the hook never recurses). A rejection (the
// remote's notes moved) is answered with fetch, union merge and push
// again, a bounded number of times. Private topics and topics not shared
// with the remote never leave.
//
// A notes ref the user's push itself updates is left to it. With notes
// that the remote already has (per the refs/notes/remotes/<remote>/…
// tracking refs) it touches no network. Failures never fail the push: they
// become Warnings.
func Send(ctx context.Context, repo *gitstore.Repo, opt SendOptions) SendResult {
	return send(ctx, wrap(repo), opt)
}

func send(ctx context.Context, repo pushHistoryExchanger, opt SendOptions) SendResult {
	var res SendResult
	nr := newNotesRemote(repo, opt.Remote)
	local, err := nr.localRefs()
	if err != nil {
		res.Warnings = append(res.Warnings, "session notes not sent: "+err.Error())
		return res
	}
	if len(local) == 0 {
		res.Skipped = "no session notes"
		return res
	}
	maxRounds := opt.MaxRounds
	if maxRounds <= 0 {
		maxRounds = 5
	}
	// Refs the user's own push updates are left to it: pushing them first
	// would make its expected old values stale and fail it.
	nr.skip = map[string]bool{}
	for _, l := range opt.Refs {
		nr.skip[l.RemoteRef] = true
	}
	tracking, err := nr.trackingRefs()
	if err != nil {
		res.Warnings = append(res.Warnings, "session notes not sent: "+err.Error())
		return res
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
		return res
	}
	policy, warns, err := loadSharing(repo)
	res.Warnings = append(res.Warnings, warns...)
	if err != nil {
		res.Warnings = append(res.Warnings, "session notes not sent: "+err.Error())
		return res
	}
	scope := newPushScope(ctx, repo, opt.Remote, opt.Refs)
	for _, v := range changed {
		scope.notes = append(scope.notes, v)
	}
	send, reasons := map[string]bool{}, map[string]string{}
	for ref, v := range changed {
		topic := nr.topicOf(ref)
		if ok, why := policy.decide(topic, opt.Remote, func(t string) string { return scope.why(t, v) }); ok {
			send[ref], reasons[topic] = true, why
		}
	}
	if scope.commitsErr != nil {
		res.Warnings = append(res.Warnings, "could not tell which commits the push sends: "+scope.commitsErr.Error())
	}
	if len(send) == 0 {
		res.Skipped = "no topic with new notes is shared with " + opt.Remote
		return res
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
		return res
	}
	if len(pushed) == 0 {
		res.Skipped = "the remote has all session notes"
	}
	return res
}

func isZero(sha string) bool { return strings.Trim(sha, "0") == "" }
