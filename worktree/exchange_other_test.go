//go:build !linux

package worktree_test

import "errors"

func exchange(a, b string) error { return errors.New("no atomic exchange on this system") }

const canExchange = false
