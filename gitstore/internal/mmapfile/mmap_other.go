//go:build !unix

package mmapfile

import (
	"io"
	"os"
)

// Map reads f into memory where memory maps are not available.
func Map(f *os.File) ([]byte, func() error, error) {
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, nil, err
	}
	return data, func() error { return nil }, nil
}
