package main

import (
	"context"

	"github.com/urfave/cli/v2"

	"github.com/git-codex/git-codex/prompt"
	"github.com/git-codex/git-codex/session"
)

// ReplyOptions are the inputs of `git codex reply`.
type ReplyOptions struct {
	Topic, Session string
	Message        []string
	File           string
}

func newReplyCommand(e *Env, runF func(context.Context, *ReplyOptions) error) *cli.Command {
	if runF == nil {
		runF = func(ctx context.Context, opts *ReplyOptions) error { return runReply(ctx, e, opts) }
	}
	return &cli.Command{
		Name:      "reply",
		Usage:     "continue the topic's current session; sends only the new message",
		ArgsUsage: "MESSAGE",
		Description: "Sends MESSAGE to the topic's current session (or the one -s names). With the\n" +
			"responses engine only the new text travels, chained to the previous answer; the\n" +
			"context is never sent again. Keep follow-ups short: \"Fix: …\", \"Also: …\",\n" +
			"\"Based on that …\".\n\n" +
			"Examples:\n" +
			"  git codex reply \"Also: check the retry path\"\n" +
			"  git codex reply -s 01JQ7 \"Based on that, which option is safer?\"\n" +
			"  git diff | git codex reply -F -",
		Flags: []cli.Flag{
			topicFlag(), sessionFlag(),
			&cli.StringFlag{Name: "file", Aliases: []string{"F"}, Usage: "read the message from `FILE` (- for stdin)"},
		},
		Action: func(c *cli.Context) error {
			if err := checkArgs(c, "MESSAGE"); err != nil {
				return err
			}
			return runF(c.Context, &ReplyOptions{
				Topic: c.String("topic"), Session: c.String("session"),
				Message: c.Args().Slice(), File: c.String("file"),
			})
		},
	}
}

func runReply(ctx context.Context, e *Env, opts *ReplyOptions) error {
	msg, err := prompt.ReadMessage(opts.Message, opts.File, messageStdin(e))
	if err != nil {
		return messageError(err, "message", "pass the message as an argument, or with -F FILE")
	}
	eng, err := e.Engine(EngineOptions{Model: true})
	if err != nil {
		return err
	}
	target, err := sessionTarget(e, opts.Topic, opts.Session)
	if err != nil {
		return err
	}
	_, err = eng.Reply(ctx, session.ReplyOptions{Target: target, Message: msg})
	return err
}
