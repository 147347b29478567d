// Package mmapfile maps git's read-only index files (pack .idx, .rev,
// commit-graph) into memory, so lookups touch only the pages they need.
// Where memory maps are unavailable the file is read instead.
package mmapfile
