package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// setting is one `name = value` line of a config file.
type setting struct {
	name, value string
	line        int
}

// maxConfigFile bounds what readConfigFile reads: a config file is a few
// lines, and a wrong path (a log, a device) must not be read whole.
const maxConfigFile = 1 << 20

// readConfigFile reads a file of `name = value` lines. Blank lines and
// lines starting with # are skipped; a value may be in double quotes (Go
// syntax); a name may repeat where its flag does (bind).
//
//	# /etc/mdbroker.conf
//	bind = tcp://0.0.0.0:5555
//	heartbeat = 1s
//	queue-bytes = 128MiB
func readConfigFile(path string) ([]setting, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && (!st.Mode().IsRegular() || st.Size() > maxConfigFile) {
		return nil, fmt.Errorf("config file %s: not a regular file under %d bytes", path, maxConfigFile)
	}
	var out []setting
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if !ok || name == "" {
			return nil, fmt.Errorf("%s:%d: want `name = value`, got %q", path, n, line)
		}
		if strings.HasPrefix(value, `"`) {
			unq, err := strconv.Unquote(value)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: bad quoted value %s", path, n, value)
			}
			value = unq
		}
		out = append(out, setting{name: strings.TrimPrefix(name, "--"), value: value, line: n})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	return out, nil
}
