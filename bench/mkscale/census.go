package main

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
)

// census counts the records the notes refs hold, as their union (a record
// is one line with a unique id, so a copy in several refs or notes counts
// once), in the repository of the current directory, with git. It prints
// one line of key=value pairs: records, turns, answers, and with a marker
// the turns whose text contains it (marked) and how many of those have an
// answer (answered), and a digest of the sorted ids, equal in two
// repositories holding the same records.
func census(w io.Writer, marker string, refs []string) error {
	if len(refs) == 0 {
		return fmt.Errorf("census: name at least one notes ref")
	}
	var blobs []string
	for _, ref := range refs {
		out, err := exec.Command("git", "ls-tree", "-r", ref).Output()
		if err != nil {
			return fmt.Errorf("list the notes of %s: %w", ref, gitErr(err))
		}
		for _, l := range strings.Split(string(out), "\n") {
			// "<mode> blob <id>\t<path>"
			if f := strings.Fields(l); len(f) == 4 && f[1] == "blob" {
				blobs = append(blobs, f[2])
			}
		}
	}
	type rec struct {
		ID   string `json:"id"`
		Kind string `json:"kind"`
		Turn string `json:"turn"`
		Text string `json:"text"`
	}
	byID := map[string]rec{}
	bad := 0
	err := catBlobs(blobs, func(data []byte) {
		for _, line := range bytes.Split(data, []byte{'\n'}) {
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			var r rec
			if json.Unmarshal(line, &r) != nil || r.ID == "" {
				bad++
				continue
			}
			byID[r.ID] = r
		}
	})
	if err != nil {
		return err
	}
	ids := make([]string, 0, len(byID))
	kinds := map[string]int{}
	marked := map[string]bool{}
	for id, r := range byID {
		ids = append(ids, id)
		kinds[r.Kind]++
		if marker != "" && r.Kind == "turn" && strings.Contains(r.Text, marker) {
			marked[id] = true
		}
	}
	answered := map[string]bool{}
	for _, r := range byID {
		if r.Kind == "answer" && marked[r.Turn] {
			answered[r.Turn] = true
		}
	}
	sort.Strings(ids)
	sum := sha1.Sum([]byte(strings.Join(ids, "\n")))
	fmt.Fprintf(w, "records=%d turns=%d answers=%d", len(byID), kinds["turn"], kinds["answer"])
	if marker != "" {
		fmt.Fprintf(w, " marked=%d answered=%d", len(marked), len(answered))
	}
	fmt.Fprintf(w, " malformed=%d digest=%x\n", bad, sum[:6])
	return nil
}

// catBlobs reads blobs with one `git cat-file --batch` and hands each
// one's content to fn.
func catBlobs(blobs []string, fn func([]byte)) error {
	cmd := exec.Command("git", "cat-file", "--batch")
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start git cat-file: %w", err)
	}
	go func() {
		bw := bufio.NewWriter(in)
		for _, b := range blobs {
			fmt.Fprintln(bw, b)
		}
		bw.Flush()
		in.Close()
	}()
	br := bufio.NewReaderSize(out, 1<<20)
	for range blobs {
		header, err := br.ReadString('\n')
		if err != nil {
			return fmt.Errorf("read git cat-file: %w", err)
		}
		f := strings.Fields(header) // "<id> blob <size>"
		if len(f) != 3 {
			return fmt.Errorf("read git cat-file: unexpected %q", strings.TrimSpace(header))
		}
		size, err := strconv.Atoi(f[2])
		if err != nil {
			return fmt.Errorf("read git cat-file: unexpected %q", strings.TrimSpace(header))
		}
		data := make([]byte, size+1) // content and the newline after it
		if _, err := io.ReadFull(br, data); err != nil {
			return fmt.Errorf("read git cat-file: %w", err)
		}
		fn(data[:size])
	}
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("git cat-file: %w", err)
	}
	return nil
}

func gitErr(err error) error {
	if ee, ok := err.(*exec.ExitError); ok && len(ee.Stderr) > 0 {
		return fmt.Errorf("%w: %s", err, strings.TrimSpace(string(ee.Stderr)))
	}
	return err
}
