// Package curvekey reads and writes CURVE key files: a key pair's secret
// key in FILE (mode 0600) and its public key in FILE.pub, each as ZeroMQ's
// 40-character Z85 text on a line of its own. Lines that are blank or
// start with '#' are comments. A file written by czmq's zcert_save (lines
// `public-key = "..."` and `secret-key = "..."`) is read as well.
package curvekey

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/majordomo-go/majordomo/internal/zsock"
)

// Key is a CURVE key (public or secret); its String is the Z85 form.
type Key = zsock.Key

// Pair is a key pair read from a secret key file.
type Pair struct {
	Public, Secret Key
}

// ErrExposed says a secret key file can be read (or written) by users
// other than its owner.
var ErrExposed = errors.New("curvekey: secret key file is open to other users (chmod 600)")

// PublicPath is where Generate writes the public key of the secret key
// file path.
func PublicPath(path string) string { return path + ".pub" }

// Generate makes a new key pair and writes the secret key to path (mode
// 0600) and the public key to PublicPath(path) (mode 0644). It refuses to
// overwrite either file.
func Generate(path string) (Pair, error) {
	pub, sec, err := zsock.NewKeyPair()
	if err != nil {
		return Pair{}, err
	}
	if _, err := os.Lstat(PublicPath(path)); err == nil {
		return Pair{}, fmt.Errorf("curvekey: %s exists; not overwritten", PublicPath(path))
	}
	secret := fmt.Sprintf("# majordomo CURVE secret key (Z85): keep it private; its public key is in %s\n%s\n", PublicPath(path), sec)
	if err := writeNew(path, secret, 0o600); err != nil {
		return Pair{}, err
	}
	public := fmt.Sprintf("# majordomo CURVE public key (Z85)\n%s\n", pub)
	if err := writeNew(PublicPath(path), public, 0o644); err != nil {
		os.Remove(path)
		return Pair{}, err
	}
	return Pair{Public: pub, Secret: sec}, nil
}

// writeNew writes a file that must not exist yet, synced to disk.
func writeNew(path, text string, mode fs.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return fmt.Errorf("curvekey: %w", err)
	}
	_, err = f.WriteString(text)
	if err == nil {
		err = f.Chmod(mode) // whatever the umask
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("curvekey: writing %s: %w", path, err)
	}
	return nil
}

// LoadSecret reads a secret key file and derives its public key. A file
// that users other than its owner may read or write is refused
// (ErrExposed), as ssh refuses such a private key.
func LoadSecret(path string) (Pair, error) {
	info, err := os.Stat(path)
	if err != nil {
		return Pair{}, fmt.Errorf("curvekey: %w", err)
	}
	if info.Mode().Perm()&0o077 != 0 {
		return Pair{}, fmt.Errorf("%w: %s has mode %04o", ErrExposed, path, info.Mode().Perm())
	}
	sec, err := load(path, "secret-key")
	if err != nil {
		return Pair{}, err
	}
	pub, err := zsock.PublicKey(sec)
	if err != nil {
		return Pair{}, err
	}
	return Pair{Public: pub, Secret: sec}, nil
}

// LoadPublic reads a public key file.
func LoadPublic(path string) (Key, error) {
	return load(path, "public-key")
}

// maxFileBytes bounds what is read of a key file.
const maxFileBytes = 64 << 10

// load reads the one key of a key file: a bare Z85 line, or czmq's
// `name = "Z85"` line.
func load(path, name string) (Key, error) {
	f, err := os.Open(path)
	if err != nil {
		return Key{}, fmt.Errorf("curvekey: %w", err)
	}
	defer f.Close()
	data := make([]byte, maxFileBytes+1)
	n, _ := f.Read(data)
	if n > maxFileBytes {
		return Key{}, fmt.Errorf("curvekey: %s: larger than a key file (%d bytes)", path, maxFileBytes)
	}
	// A file with `name = "value"` lines is czmq's ZPL: its key is the
	// value named name. Any other file's key is its one bare line.
	var bare, named []string
	zpl := false
	sc := bufio.NewScanner(bytes.NewReader(data[:n]))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if k, v, ok := strings.Cut(line, "="); ok && strings.Contains(v, "\"") {
			zpl = true
			if strings.TrimSpace(k) == name {
				named = append(named, strings.Trim(strings.TrimSpace(v), "\""))
			}
			continue
		}
		bare = append(bare, line)
	}
	found := bare
	if zpl {
		found = named
	}
	if len(found) != 1 {
		return Key{}, fmt.Errorf("curvekey: %s: want exactly one key line (40 Z85 characters), found %d", path, len(found))
	}
	k, err := zsock.ParseKey(found[0])
	if err != nil {
		return Key{}, fmt.Errorf("curvekey: %s: %w", path, err)
	}
	return k, nil
}
