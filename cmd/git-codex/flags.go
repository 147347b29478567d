package main

import (
	"github.com/urfave/cli/v2"

	"github.com/git-codex/git-codex/gitstore"
)

func topicFlag() cli.Flag {
	return &cli.StringFlag{Name: "topic", Aliases: []string{"t"}, Usage: "the line of work (default: the current branch)"}
}

func sessionFlag() cli.Flag {
	return &cli.StringFlag{Name: "session", Aliases: []string{"s"}, Usage: "a session `ID` (a unique prefix is enough)"}
}

func jsonFlag() cli.Flag {
	return &cli.BoolFlag{Name: "json", Usage: "print data as JSON"}
}

// resolveTopic returns --topic or the current branch. A detached HEAD without
// --topic is a usage error.
func resolveTopic(c *cli.Context, repo *gitstore.Repo) (string, error) {
	if t := c.String("topic"); t != "" {
		if err := gitstore.ValidateTopic(t); err != nil {
			return "", usageErrorf("choose a topic without control characters, or pass -t TOPIC", "%v", err)
		}
		return t, nil
	}
	h, err := repo.Head()
	if err != nil {
		return "", err
	}
	if h.Branch == "" {
		return "", usageErrorf("pass -t TOPIC, or check out a branch", "HEAD is detached, so there is no branch to name the topic")
	}
	return h.Branch, nil
}
