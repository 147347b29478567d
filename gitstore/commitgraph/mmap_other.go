//go:build !unix

package commitgraph

import (
	"io"
	"os"
)

// mapOpen reads f into memory where memory maps are not available.
func mapOpen(f *os.File) ([]byte, func() error, error) {
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, nil, err
	}
	return data, func() error { return nil }, nil
}
