//go:build !unix

package gitstore

import "os"

func bootID() string           { return "" }
func startTime(int) string     { return "" }
func alive(int) int            { return processUnknown }
func flockFile(*os.File) error { return nil }
func tryFlock(*os.File) bool   { return false }

// lockMarksOwner: without flock(2) a lock's owner cannot be told gone
// safely, so locks are waited for and reported by age only.
const lockMarksOwner = false
