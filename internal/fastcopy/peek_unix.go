//go:build unix

package fastcopy

import (
	"net"
	"syscall"
)

// peekAlive peeks at c's socket without blocking: an idle connection is
// alive when there is nothing to read yet (EAGAIN). An end of stream, a
// reset or bytes nobody asked for (a TLS close_notify included) mean the
// connection must not carry another request.
func peekAlive(c net.Conn) bool {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return true
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	alive := false
	var b [1]byte
	err = raw.Read(func(fd uintptr) bool {
		_, _, e := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		alive = e == syscall.EAGAIN || e == syscall.EWOULDBLOCK
		return true // never wait
	})
	return err == nil && alive
}
