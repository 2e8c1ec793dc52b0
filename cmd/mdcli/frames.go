package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// maxFrameInput bounds a frame read from stdin or a file: the broker's
// default message bound (16 MiB). A larger one is an error, not a
// request the broker would refuse after mdcli had read it all.
const maxFrameInput = 16 << 20

// errFrameTooLarge is the error of a frame over maxFrameInput.
var errFrameTooLarge = errors.New("frame larger than 16 MiB")

// readFrames turns FRAME arguments into frames: "-" is all of stdin (at
// most once), "@PATH" a file's contents, "@@TEXT" the text "@TEXT", and
// anything else itself.
func readFrames(args []string, stdin io.Reader) ([][]byte, error) {
	frames := make([][]byte, len(args))
	stdinUsed := false
	for i, a := range args {
		var err error
		switch {
		case a == "-":
			if stdinUsed {
				return nil, errors.New(`frame "-": stdin can be read only once`)
			}
			stdinUsed = true
			frames[i], err = readBounded(stdin, "stdin")
		case strings.HasPrefix(a, "@@"):
			frames[i] = []byte(a[1:])
		case strings.HasPrefix(a, "@"):
			frames[i], err = readFile(a[1:])
		default:
			frames[i] = []byte(a)
		}
		if err != nil {
			return nil, err
		}
	}
	return frames, nil
}

func readFile(path string) ([]byte, error) {
	if path == "" {
		return nil, errors.New(`frame "@": no file named (write @@ for a literal @)`)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("frame @%s: %w", path, err)
	}
	defer f.Close()
	return readBounded(f, "@"+path)
}

// readBounded reads all of r, refusing more than maxFrameInput bytes.
func readBounded(r io.Reader, what string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxFrameInput+1))
	switch {
	case err != nil:
		return nil, fmt.Errorf("frame from %s: %w", what, err)
	case len(b) > maxFrameInput:
		return nil, fmt.Errorf("frame from %s: %w", what, errFrameTooLarge)
	}
	return b, nil
}
