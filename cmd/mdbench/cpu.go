package main

// #include <unistd.h>
import "C"

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"
)

// clockTicks is the unit of utime and stime in /proc/PID/stat (USER_HZ,
// 100 on Linux).
var clockTicks = func() int64 {
	if t := int64(C.sysconf(C._SC_CLK_TCK)); t > 0 {
		return t
	}
	return 100
}()

// processCPU is the user plus system CPU time a process has used so far,
// from /proc/PID/stat (fields 14 and 15: utime and stime, in clock ticks,
// summed over all its threads).
func processCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("mdbench: broker CPU: %w", err)
	}
	return parseStat(b)
}

// parseStat reads utime and stime from the text of /proc/PID/stat. The
// command name (field 2) is in parentheses and may hold spaces and
// parentheses itself, so fields are counted after its last ')'.
func parseStat(b []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("mdbench: /proc stat: no command field")
	}
	fields := bytes.Fields(b[i+1:]) // fields[0] is field 3 (state)
	const utime, stime = 14 - 3, 15 - 3
	if len(fields) <= stime {
		return 0, fmt.Errorf("mdbench: /proc stat: %d fields after the command", len(fields))
	}
	var ticks int64
	for _, f := range [][]byte{fields[utime], fields[stime]} {
		n, err := strconv.ParseInt(string(f), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("mdbench: /proc stat: %w", err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / time.Duration(clockTicks), nil
}

// selfCPU is the CPU time this process (clients and workers) has used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuMeter samples the broker's and our own CPU time at the start and end
// of the measured window.
type cpuMeter struct {
	pid                    int
	brokerStart, selfStart time.Duration
	brokerUsed, selfUsed   time.Duration
	err                    error // the first failure to read the broker's
}

func (m *cpuMeter) start() {
	m.selfStart = selfCPU()
	if m.pid > 0 {
		m.brokerStart, m.err = processCPU(m.pid)
	}
}

func (m *cpuMeter) stop() {
	m.selfUsed = selfCPU() - m.selfStart
	if m.pid > 0 && m.err == nil {
		var end time.Duration
		end, m.err = processCPU(m.pid)
		m.brokerUsed = end - m.brokerStart
	}
}
