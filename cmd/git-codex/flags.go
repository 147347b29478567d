package main

import (
	"github.com/urfave/cli/v2"
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
