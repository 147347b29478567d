// Command git-codex keeps AI coding-agent sessions in git notes. Run it as
// `git codex <command>`.
package main

import "os"

func main() { os.Exit(Main(os.Args, os.Stdin, os.Stdout, os.Stderr, os.Getenv)) }
