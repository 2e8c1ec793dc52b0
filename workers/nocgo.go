//go:build !cgo

package workers

// Without cgo, zsock fails the build with a message that names cgo and
// libzmq (pebbe/zmq4 alone fails with a list of undefined names).
import _ "github.com/majordomo-go/majordomo/internal/zsock"
