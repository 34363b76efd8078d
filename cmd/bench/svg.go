package main

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// The chart's geometry and colours.
const (
	svgWidth  = 1080
	panelH    = 400
	plotLeft  = 84
	plotRight = svgWidth - 24
	plotTop   = 64  // below the panel's top: title and legend
	plotBelow = 330 // the plot's bottom, below the panel's top; labels under it
)

var series = []struct{ name, color string }{
	{"ours (uactor)", "#2563eb"},
	{"raw floor", "#9ca3af"},
	{"net/rpc", "#ea580c"},
}

// bar is one bar of a chart: a value, with a tooltip.
type bar struct {
	v   float64
	tip string
}

// group is a cluster of sub-groups of bars under one label; the bars of a
// sub-group are one per series.
type group struct {
	label, place string
	subs         []sub
}

type sub struct {
	label string
	bars  []bar // one per series
}

// chart draws r as an SVG with two panels: latency percentiles of 64 B
// sequential calls, and calls/s by concurrency.
func chart(r *Report) []byte {
	var lat, thr []group
	for _, p := range r.Placements {
		if p.Skipped != "" {
			continue
		}
		for _, s := range p.Sequential {
			// Lending, or floors that own, change nothing at 64 B that the plain row does not show.
			if s.Payload != 64 || !plainRows(s.Transport) {
				continue
			}
			g := group{label: s.Transport, place: p.Placement}
			for _, q := range []struct {
				name string
				get  func(Latency) float64
			}{
				{"p50", func(l Latency) float64 { return float64(l.P50) }},
				{"p99", func(l Latency) float64 { return float64(l.P99) }},
				{"p99.9", func(l Latency) float64 { return float64(l.P999) }},
			} {
				sb := sub{label: q.name}
				for i, l := range []Latency{s.Ours, s.Raw, s.RPC} {
					v := q.get(l)
					sb.bars = append(sb.bars, bar{v, fmt.Sprintf("%s, %s, %s %s: %s %s",
						p.Placement, s.Transport, fmtSize(s.Payload), q.name, series[i].name, fmtDur(durOf(v)))})
				}
				g.subs = append(g.subs, sb)
			}
			lat = append(lat, g)
		}
		for _, c := range p.Concurrency {
			sb := sub{}
			for i, t := range []Throughput{c.Ours, c.Raw, c.RPC} {
				sb.bars = append(sb.bars, bar{t.PerSec, fmt.Sprintf("%s, %s: %s %s",
					p.Placement, plural(c.Callers, "caller"), series[i].name, fmtRate(t.PerSec))})
			}
			thr = append(thr, group{label: strconv.Itoa(c.Callers), place: p.Placement, subs: []sub{sb}})
		}
	}

	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="Helvetica, Arial, sans-serif">`+"\n",
		svgWidth, 2*panelH+40, svgWidth, 2*panelH+40)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%d" y="24" font-size="16" font-weight="bold">uactor IPC benchmark — %s, %s per measurement</text>`+"\n",
		plotLeft, esc(r.Platform), esc(r.Duration))
	panel(&b, 30, "Sequential round trip, 64 B: latency per call (log scale)", "latency per call",
		"transport and percentile", lat, true, []string{"ours (uactor)", "raw floor", "net/rpc"})
	panel(&b, 30+panelH, "Concurrent callers on one connection, 64 B over a Unix socket: throughput",
		"calls per second", "concurrent callers", thr, false, []string{"ours (uactor)", "raw multiplexed floor", "net/rpc"})
	b.WriteString("</svg>\n")
	return b.Bytes()
}

// durOf turns nanoseconds into a Duration.
func durOf(ns float64) time.Duration { return time.Duration(ns) }

// panel draws one panel of grouped bars, top at y0.
func panel(b *bytes.Buffer, y0 int, title, yLabel, xLabel string, groups []group, logScale bool, names []string) {
	top, bottom := float64(y0+plotTop), float64(y0+plotBelow)
	fmt.Fprintf(b, `<text x="%d" y="%d" font-size="14" font-weight="bold">%s</text>`+"\n", plotLeft, y0+22, esc(title))
	// Legend, right-aligned on the title's line.
	width := func(n string) int { return 17 + 7*len([]rune(n)) + 22 } // swatch, text at about 7 px a letter, gap
	x := plotRight
	for _, n := range names {
		x -= width(n)
	}
	for i, n := range names {
		fmt.Fprintf(b, `<rect x="%d" y="%d" width="12" height="12" fill="%s"/><text x="%d" y="%d" font-size="12">%s</text>`+"\n",
			x, y0+36, series[i].color, x+17, y0+46, esc(n))
		x += width(n)
	}
	// Y axis label.
	fmt.Fprintf(b, `<text transform="translate(%d %.0f) rotate(-90)" text-anchor="middle" font-size="12">%s</text>`+"\n",
		18, (top+bottom)/2, esc(yLabel))
	fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="middle" font-size="12">%s</text>`+"\n",
		(plotLeft+plotRight)/2, y0+plotBelow+62, esc(xLabel))

	var lo, hi float64
	for _, g := range groups {
		for _, s := range g.subs {
			for _, br := range s.bars {
				if br.v > 0 && (lo == 0 || br.v < lo) {
					lo = br.v
				}
				hi = max(hi, br.v)
			}
		}
	}
	if hi <= 0 {
		fmt.Fprintf(b, `<text x="%d" y="%.0f" text-anchor="middle" font-size="14" fill="#666">no data</text>`+"\n",
			(plotLeft+plotRight)/2, (top+bottom)/2)
		return
	}
	var y func(v float64) float64
	if logScale {
		l0, l1 := math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))
		if l1 <= l0 {
			l1 = l0 + 1
		}
		y = func(v float64) float64 {
			if v <= 0 {
				return bottom
			}
			return bottom - (math.Log10(v)-l0)/(l1-l0)*(bottom-top)
		}
		for e := l0; e <= l1; e++ {
			for _, m := range []float64{1, 2, 5} {
				v := m * math.Pow(10, e)
				if e == l1 && m > 1 {
					break
				}
				gridLine(b, y(v), m == 1, tickDur(v))
			}
		}
	} else {
		step := niceStep(hi / 5)
		yMax := math.Ceil(hi/step) * step
		y = func(v float64) float64 { return bottom - v/yMax*(bottom-top) }
		for v := 0.0; v <= yMax*1.0001; v += step {
			gridLine(b, y(v), true, tickRate(v))
		}
	}
	fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#333"/>`+"\n", plotLeft, top, plotLeft, bottom)
	fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#333"/>`+"\n", plotLeft, bottom, plotRight, bottom)

	gw := float64(plotRight-plotLeft) / float64(len(groups))
	placeStart := 0
	for gi, g := range groups {
		gx := float64(plotLeft) + gw*float64(gi)
		sw := gw * 0.88 / float64(len(g.subs))
		for si, s := range g.subs {
			sx := gx + gw*0.06 + sw*float64(si)
			bw := sw * 0.84 / float64(len(s.bars))
			for bi, br := range s.bars {
				x := sx + sw*0.08 + bw*float64(bi)
				yv := y(br.v)
				fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s</title></rect>`+"\n",
					x, yv, bw, bottom-yv, series[bi].color, esc(br.tip))
				if !logScale && br.v > 0 { // few bars: their values fit above them
					fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="middle" font-size="9" fill="#333">%s</text>`+"\n",
						x+bw/2, yv-3, esc(shortRate(br.v)))
				}
			}
			if s.label != "" {
				fmt.Fprintf(b, `<text x="%.1f" y="%.0f" text-anchor="middle" font-size="10" fill="#444">%s</text>`+"\n",
					sx+sw/2, bottom+13, esc(s.label))
			}
		}
		ly := bottom + 28
		if g.subs[0].label == "" {
			ly = bottom + 16
		}
		fmt.Fprintf(b, `<text x="%.1f" y="%.0f" text-anchor="middle" font-size="12">%s</text>`+"\n", gx+gw/2, ly, esc(g.label))
		// A placement's name spans its groups; a rule separates placements.
		if gi == len(groups)-1 || groups[gi+1].place != g.place {
			x0, x1 := float64(plotLeft)+gw*float64(placeStart), gx+gw
			fmt.Fprintf(b, `<text x="%.1f" y="%.0f" text-anchor="middle" font-size="12" font-weight="bold">%s</text>`+"\n",
				(x0+x1)/2, bottom+44, esc(g.place))
			if gi < len(groups)-1 {
				fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#999" stroke-dasharray="4 3"/>`+"\n",
					x1, top, x1, bottom+48)
			}
			placeStart = gi + 1
		}
	}
}

// gridLine draws a horizontal grid line at y, labelled if major.
func gridLine(b *bytes.Buffer, y float64, major bool, label string) {
	color := "#e5e7eb"
	if major {
		color = "#d1d5db"
		fmt.Fprintf(b, `<text x="%d" y="%.1f" text-anchor="end" font-size="11" fill="#333">%s</text>`+"\n", plotLeft-6, y+4, esc(label))
	}
	fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="%s"/>`+"\n", plotLeft, y, plotRight, y, color)
}

// tickDur labels a tick at ns nanoseconds: "10 µs", "1 ms".
func tickDur(ns float64) string {
	v, unit := scaled(ns, durUnits)
	return fmt.Sprintf("%g %s", v, unit)
}

// tickRate labels a tick at r calls per second: "500 k/s".
func tickRate(r float64) string {
	if r == 0 {
		return "0"
	}
	v, unit := scaled(r, rateUnits)
	return fmt.Sprintf("%g %s/s", v, unit)
}

// shortRate is a bar's value: "362k", "1.04M".
func shortRate(r float64) string {
	v, unit := scaled(r, rateUnits)
	digits := 0
	if unit == "M" {
		digits = 2
	}
	return fmt.Sprintf("%.*f%s", digits, v, unit)
}

// niceStep rounds x up to 1, 2 or 5 times a power of ten.
func niceStep(x float64) float64 {
	if x <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= x {
			return m * p
		}
	}
	return 10 * p
}

var xmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")

func esc(s string) string { return xmlEscaper.Replace(s) }
