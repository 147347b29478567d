package prompt

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// MaxMessageBytes caps a message read by ReadMessage.
const MaxMessageBytes = 1 << 20

// ReadMessage returns the user's message, like git commit's -m and -F:
// from file when it is set ("-" means stdin), otherwise the arguments joined
// by spaces, otherwise stdin (pass nil when stdin is a terminal, so that
// nothing waits for typing). Giving both arguments and a file is an error,
// and so is an empty message (ErrEmptyMessage) or one over MaxMessageBytes.
// Surrounding blank space is trimmed.
func ReadMessage(args []string, file string, stdin io.Reader) (string, error) {
	var msg string
	switch {
	case file != "" && len(args) > 0:
		return "", fmt.Errorf("read message: give it as arguments or with -F %s, not both", file)
	case file == "-":
		if stdin == nil {
			return "", fmt.Errorf("read message from stdin: %w", ErrEmptyMessage)
		}
		s, err := readCapped(stdin, "stdin")
		if err != nil {
			return "", err
		}
		msg = s
	case file != "":
		f, err := os.Open(file)
		if err != nil {
			return "", fmt.Errorf("read message file: %w", err)
		}
		defer f.Close()
		s, err := readCapped(f, file)
		if err != nil {
			return "", err
		}
		msg = s
	case len(args) > 0:
		msg = strings.Join(args, " ")
	case stdin != nil:
		s, err := readCapped(stdin, "stdin")
		if err != nil {
			return "", err
		}
		msg = s
	}
	msg = strings.TrimSpace(msg)
	if msg == "" {
		return "", fmt.Errorf("read message: %w", ErrEmptyMessage)
	}
	return msg, nil
}

func readCapped(r io.Reader, name string) (string, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxMessageBytes+1))
	if err != nil {
		return "", fmt.Errorf("read message from %s: %w", name, err)
	}
	if len(data) > MaxMessageBytes {
		return "", fmt.Errorf("read message from %s: longer than %d bytes", name, MaxMessageBytes)
	}
	return string(data), nil
}
