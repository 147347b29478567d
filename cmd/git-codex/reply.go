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
	// Engine switches the session to another engine ("" keeps it).
	Engine string
	// Sandbox and Approval are --sandbox and --approval ("" when not given).
	Sandbox, Approval string
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
			"--engine chat|responses|codex moves the session to another engine (say, for a server\n" +
			"without the Responses API): the switch is recorded and the request restarts from\n" +
			"the transcript in git; later replies stay on the new engine.\n\n" +
			"The session keeps its --sandbox and --approval; a reply may change them (git config\n" +
			"codex.sandbox and codex.approval only lower them: raising takes the flag).\n\n" +
			"Examples:\n" +
			"  git codex reply \"Also: check the retry path\"\n" +
			"  git codex reply -s 01JQ7 \"Based on that, which option is safer?\"\n" +
			"  git diff | git codex reply -F -\n" +
			"  git codex reply --engine chat \"Go on\"\n" +
			"  git codex reply --sandbox workspace-write --approval never \"Fix: apply it\"",
		Flags: []cli.Flag{
			topicFlag(), sessionFlag(),
			&cli.StringFlag{Name: "file", Aliases: []string{"F"}, Usage: "read the message from `FILE` (- for stdin)"},
			&cli.StringFlag{Name: "engine", Usage: "switch the session to `ENGINE` (responses, chat or codex), restarting it from the transcript"},
			modeFlags()[0], modeFlags()[1],
		},
		Action: func(c *cli.Context) error {
			if err := checkArgs(c, "MESSAGE"); err != nil {
				return err
			}
			if err := checkModeFlags(c); err != nil {
				return err
			}
			return runF(c.Context, &ReplyOptions{
				Topic: c.String("topic"), Session: c.String("session"),
				Message: c.Args().Slice(), File: c.String("file"), Engine: c.String("engine"),
				Sandbox: c.String("sandbox"), Approval: c.String("approval"),
			})
		},
	}
}

func runReply(ctx context.Context, e *Env, opts *ReplyOptions) error {
	msg, err := prompt.ReadMessage(opts.Message, opts.File, messageStdin(e))
	if err != nil {
		return messageError(err, "message", "pass the message as an argument, or with -F FILE")
	}
	eng, err := e.Engine(EngineOptions{Model: true, Engine: opts.Engine})
	if err != nil {
		return err
	}
	target, err := sessionTarget(e, opts.Topic, opts.Session)
	if err != nil {
		return err
	}
	engine := ""
	if opts.Engine != "" {
		engine = string(eng.Config.Engine) // validated and lower-cased
	}
	repo, _ := e.Repo()
	mode, err := modeRequest(repo, opts.Sandbox, opts.Approval)
	if err != nil {
		return err
	}
	_, err = eng.Reply(ctx, session.ReplyOptions{Target: target, Message: msg, Engine: engine, Mode: mode})
	return err
}
