package clients

import (
	"fmt"
	"sync"

	"github.com/majordomo-go/majordomo/internal/zsock"
)

// sharedContext is the one libzmq context of every Client in the process,
// made at the first New and never terminated (as pebbe/zmq4's default
// context): its single I/O thread serves all Clients' sockets, so a
// program with many Clients does not run a thread for each on its cores.
var sharedContext = sync.OnceValues(func() (*zsock.Context, error) {
	zctx, err := zsock.NewContext()
	if err != nil {
		return nil, fmt.Errorf("clients: %w", err)
	}
	return zctx, nil
})
