package main

import "time"

// measureStartup: (e) time from exec to the first 200 for a cached .info on
// the 100,000-version tree, polled every millisecond; modproxy, and nginx on
// the same tree for reference. A server that scans its cache before
// listening shows it here.
func (b *bench) measureStartup() error {
	r := &b.report.Startup
	path := b.startup.Infos[len(b.startup.Infos)-1]
	for i := 0; i < 3; i++ {
		for _, kind := range kindOrder(i) {
			var s *server
			var err error
			if kind == "nginx" {
				s, err = startNginx(b.c, nginxOptions{name: "nginx-startup", root: b.startup.Tree,
					readyPath: path, poll: time.Millisecond, connections: 1})
			} else {
				s, err = startModproxy(b.c, modproxyOptions{name: "modproxy-startup", cacheDir: b.startup.Tree,
					upstream: "off", readyPath: path, poll: time.Millisecond})
			}
			if err != nil {
				return err
			}
			s.stop()
			took := s.ready.Sub(s.started)
			progress("start-up %d/3 %s on %d versions: first 200 after %.1f ms", i+1, kind, r.Versions,
				float64(took.Microseconds())/1000)
			r.Seconds.add(kind, took.Seconds())
		}
	}
	return nil
}
