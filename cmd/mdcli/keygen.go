package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/majordomo-go/majordomo/internal/curvekey"
)

// keygen makes a CURVE key pair: the secret key in path (mode 0600), the
// public key in path.pub. It refuses to overwrite either file. It prints
// the public key (what a broker's policy lists) and the two paths.
func keygen(stdout, stderr io.Writer, asJSON bool, path string) int {
	pair, err := curvekey.Generate(path)
	if err != nil {
		fmt.Fprintln(stderr, "mdcli keygen:", err)
		return exitFailure
	}
	pub := curvekey.PublicPath(path)
	if asJSON {
		out, _ := json.Marshal(map[string]string{"public_key": pair.Public.String(), "secret_key_file": path, "public_key_file": pub})
		fmt.Fprintln(stdout, string(out))
		return exitOK
	}
	fmt.Fprintf(stdout, "public key %s\nsecret key file %s (mode 0600: keep it private)\npublic key file %s\n", pair.Public, path, pub)
	return exitOK
}
