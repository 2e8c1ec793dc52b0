// Command mdbroker is the majordomo broker daemon. The broker itself is being
// built (issue: "Broker: a production Majordomo broker"); until it lands this
// main only says so.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "mdbroker: the broker is not built yet; see the broker issue")
	os.Exit(1)
}
