package version

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestString(t *testing.T) {
	platform := runtime.GOOS + "/" + runtime.GOARCH
	rev := "26177d9a1b2c3d4e5f60718293a4b5c6d7e8f901"
	vcs := func(modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: modified}}
	}
	for _, tc := range []struct {
		name string
		bi   *debug.BuildInfo
		want string
	}{
		{"no build info", nil, "(devel) " + runtime.Version() + " " + platform},
		{"go install @version", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "m", Version: "v0.2.0"}},
			"v0.2.0 go1.26.8 " + platform},
		{"checkout without vcs", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "m", Version: "(devel)"}},
			"(devel) go1.26.8 " + platform},
		{"empty main version", &debug.BuildInfo{GoVersion: "go1.26.8"}, "(devel) go1.26.8 " + platform},
		{"checkout, clean", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: vcs("false")},
			"(devel) rev 26177d9a1b2c go1.26.8 " + platform},
		{"checkout, modified", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: vcs("true")},
			"(devel) rev 26177d9a1b2c modified go1.26.8 " + platform},
		{"pseudo-version says it all", &debug.BuildInfo{GoVersion: "go1.26.8",
			Main: debug.Module{Version: "v0.0.0-20261201050445-26177d9a1b2c+dirty"}, Settings: vcs("true")},
			"v0.0.0-20261201050445-26177d9a1b2c+dirty go1.26.8 " + platform},
		{"tagged, modified", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.2.0"}, Settings: vcs("true")},
			"v0.2.0 rev 26177d9a1b2c modified go1.26.8 " + platform},
		{"short revision", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc"}}}, "(devel) rev abc go1.26.8 " + platform},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := fromBuildInfo(tc.bi).String(); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// In a test binary the main module is this one's test: Line still names
// the command and the toolchain.
func TestLine(t *testing.T) {
	got := Line("mdtest")
	if !strings.HasPrefix(got, "mdtest ") || !strings.HasSuffix(got, runtime.GOOS+"/"+runtime.GOARCH) || !strings.Contains(got, "go1.") {
		t.Fatalf("Line = %q", got)
	}
}
