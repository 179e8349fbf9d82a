// Command cpurun runs a command and prints the CPU time it used (user and
// system, from the kernel's rusage of the child, which covers all its
// threads) for load/bench/generators.sh:
//
//	cpurun -o cpu.txt -- wrk -t1 -c16 -d10s URL
//
// writes "user_seconds system_seconds" to cpu.txt; the command's own
// stdout and stderr pass through. The exit code is the command's.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

func main() {
	out := flag.String("o", "", "file for \"user_seconds system_seconds\" (default: stderr)")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "cpurun: usage: cpurun [-o file] -- command [args...]")
		os.Exit(2)
	}
	cmd := exec.Command(flag.Arg(0), flag.Args()[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		fmt.Fprintln(os.Stderr, "cpurun:", err)
		os.Exit(2)
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		fmt.Fprintln(os.Stderr, "cpurun: no rusage on this system")
		os.Exit(2)
	}
	line := fmt.Sprintf("%.6f %.6f\n", tv(ru.Utime), tv(ru.Stime))
	if *out == "" {
		fmt.Fprint(os.Stderr, line)
	} else if werr := os.WriteFile(*out, []byte(line), 0o644); werr != nil {
		fmt.Fprintln(os.Stderr, "cpurun:", werr)
		os.Exit(2)
	}
	os.Exit(cmd.ProcessState.ExitCode())
}

func tv(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
