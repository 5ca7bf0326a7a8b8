package main

import (
	"fmt"
	"sort"
)

// median of the values (the mean of the middle two for an even count); 0
// for none.
func median(values []float64) float64 {
	if len(values) == 0 {
		return 0
	}
	s := append([]float64(nil), values...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func minMax(values []float64) (float64, float64) {
	if len(values) == 0 {
		return 0, 0
	}
	lo, hi := values[0], values[0]
	for _, v := range values[1:] {
		if v < lo {
			lo = v
		}
		if v > hi {
			hi = v
		}
	}
	return lo, hi
}

// series collects one number per round.
type series []float64

func (s series) median() float64 { return median(s) }

// spread is "min-max" of the rounds, for the details section.
func (s series) spread(format string) string {
	if len(s) == 0 {
		return "-"
	}
	lo, hi := minMax(s)
	if len(s) == 1 {
		return fmt.Sprintf(format, lo)
	}
	return fmt.Sprintf(format+"-"+format, lo, hi)
}
