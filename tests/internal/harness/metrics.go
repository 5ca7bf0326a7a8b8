package harness

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// Sample is one line of the Prometheus text format.
type Sample struct {
	Name   string
	Labels map[string]string
	Value  float64
}

// Metrics is a parsed /metrics page.
type Metrics struct {
	Samples []Sample
	Types   map[string]string // from # TYPE lines
	Text    string
}

// Scrape fetches and parses p's /metrics.
func (p *Proxy) Scrape(t testing.TB) *Metrics {
	t.Helper()
	r := p.Get("/metrics")
	r.ExpectStatus(t, 200)
	m, err := ParseMetrics(string(r.Body))
	if err != nil {
		t.Fatalf("/metrics: %v\n%s", err, r.Body)
	}
	return m
}

// ParseMetrics parses the Prometheus text exposition format (the subset
// needed here: comments, names, quoted label values with escapes, a value).
func ParseMetrics(text string) (*Metrics, error) {
	m := &Metrics{Types: map[string]string{}, Text: text}
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "#") {
			if f := strings.Fields(line); len(f) >= 4 && f[1] == "TYPE" {
				m.Types[f[2]] = f[3]
			}
			continue
		}
		s, err := parseSample(line)
		if err != nil {
			return nil, fmt.Errorf("line %d %q: %v", n+1, line, err)
		}
		m.Samples = append(m.Samples, s)
	}
	return m, nil
}

func parseSample(line string) (Sample, error) {
	s := Sample{Labels: map[string]string{}}
	i := strings.IndexAny(line, "{ ")
	if i <= 0 {
		return s, fmt.Errorf("no value")
	}
	s.Name, line = line[:i], line[i:]
	if line[0] == '{' {
		line = line[1:]
		for {
			line = strings.TrimLeft(line, " ,")
			if strings.HasPrefix(line, "}") {
				line = line[1:]
				break
			}
			eq := strings.IndexByte(line, '=')
			if eq <= 0 || len(line) < eq+2 || line[eq+1] != '"' {
				return s, fmt.Errorf("bad label")
			}
			name := strings.TrimSpace(line[:eq])
			val, rest, err := unquoteLabel(line[eq+1:])
			if err != nil {
				return s, err
			}
			s.Labels[name], line = val, rest
		}
	}
	f := strings.Fields(line)
	if len(f) < 1 || len(f) > 2 {
		return s, fmt.Errorf("want value [timestamp]")
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return s, err
	}
	s.Value = v
	return s, nil
}

// unquoteLabel reads a "..." label value with \\, \" and \n escapes.
func unquoteLabel(s string) (val, rest string, err error) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			return b.String(), s[i+1:], nil
		case '\\':
			if i+1 >= len(s) {
				return "", "", fmt.Errorf("bad escape")
			}
			i++
			if s[i] == 'n' {
				b.WriteByte('\n')
			} else {
				b.WriteByte(s[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", "", fmt.Errorf("unterminated label value")
}

// Find returns the samples named name whose labels include all of want.
func (m *Metrics) Find(name string, want map[string]string) []Sample {
	var out []Sample
next:
	for _, s := range m.Samples {
		if s.Name != name {
			continue
		}
		for k, v := range want {
			if s.Labels[k] != v {
				continue next
			}
		}
		out = append(out, s)
	}
	return out
}

// Sum adds up the matching samples; ok is false when there is none.
func (m *Metrics) Sum(name string, want map[string]string) (sum float64, ok bool) {
	for _, s := range m.Find(name, want) {
		sum += s.Value
		ok = true
	}
	return sum, ok
}

// LabelValues lists the distinct values of label over samples named name.
func (m *Metrics) LabelValues(name, label string) []string {
	seen := map[string]bool{}
	for _, s := range m.Find(name, nil) {
		if v, ok := s.Labels[label]; ok {
			seen[v] = true
		}
	}
	var out []string
	for v := range seen {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

// L is shorthand for a label map: L("endpoint", "info", "status", "200").
func L(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}
