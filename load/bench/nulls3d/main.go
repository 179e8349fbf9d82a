// Command nulls3d serves the do-nothing S3 endpoint (load/nulls3) on an
// address, for load/bench/wrk-compare.sh: it answers every request the
// load scenario makes with a fixed reply and does no work, so that what is
// measured is the client.
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"

	"github.com/partcopy/partcopy/load/nulls3"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	flag.Parse()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "nulls3d:", err)
		os.Exit(2)
	}
	fmt.Printf("http://%s\n", ln.Addr())
	if err := http.Serve(ln, nulls3.Handler()); err != nil {
		fmt.Fprintln(os.Stderr, "nulls3d:", err)
		os.Exit(1)
	}
}
