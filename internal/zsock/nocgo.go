//go:build !cgo

// majordomo talks to ZeroMQ through libzmq, a C library, so it cannot be
// built without cgo. Without cgo this file is the package's only file and
// stops the build with an error whose text says what to do: the constant's
// name and value appear in the compiler's message.

package zsock

const majordomo_needs_cgo_and_libzmq_set_CGO_ENABLED_1 = "set CGO_ENABLED=1; install a C compiler, pkg-config and libzmq"

var _ int = majordomo_needs_cgo_and_libzmq_set_CGO_ENABLED_1
