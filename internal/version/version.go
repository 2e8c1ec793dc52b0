// Package version tells which build of majordomo a command is: the one
// line every command prints for --version, read from the build information
// the Go toolchain embeds in each binary (runtime/debug.ReadBuildInfo).
//
//	fmt.Println(version.Line("mdcli"))
//	// go install ...@v0.2.0:                 mdcli v0.2.0 go1.26.8 linux/amd64
//	// a checkout with uncommitted changes:   mdcli v0.0.0-20261201052949-211ea5fe5d4f+dirty go1.26.8 linux/amd64
//	// go build -buildvcs=false:              mdcli (devel) go1.26.8 linux/amd64
//
// Guarantees: the line is never empty and never fails; a binary built by
// `go install module@version` shows that version; one built from a
// checkout shows the main module's version as the toolchain recorded it
// ("(devel)", or a pseudo-version since Go 1.24) and, when the toolchain
// recorded them (-buildvcs, on by default in a git checkout), the commit
// and whether the tree had uncommitted changes.
package version

import (
	"runtime"
	"runtime/debug"
	"strings"
)

// Devel is the version of a binary whose main module has none: built from
// a checkout with VCS stamping off, or a test binary.
const Devel = "(devel)"

// revisionLen is how much of a commit hash the line shows, as git's short
// hashes and Go's pseudo-versions do.
const revisionLen = 12

// Info is what a binary knows about its own build.
type Info struct {
	Module   string // the main module's path; "" when unknown
	Version  string // the main module's version, Devel when it has none
	Revision string // the VCS commit, "" when not recorded
	Modified bool   // the checkout had uncommitted changes
	Go       string // the toolchain, as runtime.Version
	Platform string // GOOS/GOARCH
}

// Read returns this binary's build information.
func Read() Info {
	info, _ := debug.ReadBuildInfo()
	return fromBuildInfo(info)
}

// fromBuildInfo turns the toolchain's record (nil when there is none) into
// an Info.
func fromBuildInfo(bi *debug.BuildInfo) Info {
	i := Info{Version: Devel, Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi == nil {
		return i
	}
	i.Module = bi.Main.Path
	if bi.Main.Version != "" {
		i.Version = bi.Main.Version
	}
	if bi.GoVersion != "" {
		i.Go = bi.GoVersion
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			i.Revision = s.Value
		case "vcs.modified":
			i.Modified = s.Value == "true"
		}
	}
	return i
}

// String is the version, then the commit and "modified" when the version
// does not already say them, then the toolchain and platform.
func (i Info) String() string {
	parts := []string{i.Version}
	rev := i.Revision[:min(len(i.Revision), revisionLen)]
	if rev != "" && !strings.Contains(i.Version, rev) {
		parts = append(parts, "rev "+rev)
	}
	if i.Modified && !strings.HasSuffix(i.Version, "+dirty") {
		parts = append(parts, "modified")
	}
	return strings.Join(append(parts, i.Go, i.Platform), " ")
}

// Line is the --version line of a command: its name, then Read().String().
func Line(command string) string {
	return command + " " + Read().String()
}
