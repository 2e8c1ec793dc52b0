// Package configfile reads the configuration files of majordomo's commands:
// lines of `name = value`, names as the command's flags, which the command
// then applies with the same checks as its flags and environment variables.
//
//	# /etc/mdbroker.conf
//	bind = tcp://0.0.0.0:5555
//	heartbeat = 1s
//	queue-bytes = 128MiB  # per service
//
// Blank lines and lines starting with # are skipped, and so is a # after
// white space that ends a value; a value may be in double quotes (Go
// syntax), to hold a #. A leading byte-order mark and CRLF line ends are
// accepted, and a leading "--" on a name is dropped.
package configfile

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Setting is one `name = value` line of a config file.
type Setting struct {
	Name, Value string
	Line        int // 1-based
}

// MaxSize bounds what Read reads: a config file is a few
// lines, and a wrong path (a log, a device) must not be read whole.
const MaxSize = 1 << 20

// Read reads a file of `name = value` lines, in order. Whether a name may
// repeat, and what it means, is the caller's to check.
func Read(path string) ([]Setting, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && (!st.Mode().IsRegular() || st.Size() > MaxSize) {
		return nil, fmt.Errorf("config file %s: not a regular file under %d bytes", path, MaxSize)
	}
	var out []Setting
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if n == 1 {
			line = strings.TrimPrefix(line, "\uFEFF") // a byte-order mark some editors write
		}
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if !ok || name == "" {
			return nil, fmt.Errorf("%s:%d: want `name = value`, got %q", path, n, line)
		}
		value, err := settingValue(value)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", path, n, err)
		}
		out = append(out, Setting{Name: strings.TrimPrefix(name, "--"), Value: value, Line: n})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	return out, nil
}

// settingValue reads what follows `=`: a quoted string, or the text up to a
// comment (a # after white space).
func settingValue(raw string) (string, error) {
	if strings.HasPrefix(raw, `"`) {
		quoted, err := strconv.QuotedPrefix(raw)
		if err != nil {
			return "", fmt.Errorf("bad quoted value %s", raw)
		}
		if rest := strings.TrimSpace(raw[len(quoted):]); rest != "" && !strings.HasPrefix(rest, "#") {
			return "", fmt.Errorf("unexpected %q after the quoted value", rest)
		}
		return strconv.Unquote(quoted)
	}
	for i := 1; i < len(raw); i++ {
		if raw[i] == '#' && (raw[i-1] == ' ' || raw[i-1] == '\t') {
			return strings.TrimSpace(raw[:i]), nil
		}
	}
	return raw, nil
}
