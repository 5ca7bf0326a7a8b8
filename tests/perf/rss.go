package main

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// rssSampler records the peak resident memory of a server (the sum over its
// processes) by reading /proc/<pid>/status every 100 ms.
type rssSampler struct {
	stopOnce sync.Once
	stopped  chan struct{}
	done     chan struct{}
	peakKB   int64
}

// sampleRSS starts sampling the given processes.
func sampleRSS(pids []int) *rssSampler {
	s := &rssSampler{stopped: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			var total int64
			for _, pid := range pids {
				total += vmRSSKB(pid)
			}
			if total > s.peakKB {
				s.peakKB = total
			}
			select {
			case <-s.stopped:
				return
			case <-tick.C:
			}
		}
	}()
	return s
}

// stop ends sampling and returns the peak in MB (10^6 bytes).
func (s *rssSampler) stop() float64 {
	s.stopOnce.Do(func() { close(s.stopped) })
	<-s.done
	return float64(s.peakKB) * 1024 / 1e6
}

// vmRSSKB reads VmRSS from /proc/<pid>/status; 0 when the process is gone.
func vmRSSKB(pid int) int64 {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "VmRSS:") {
			fields := strings.Fields(line)
			if len(fields) >= 2 {
				kb, _ := strconv.ParseInt(fields[1], 10, 64)
				return kb
			}
		}
	}
	return 0
}
