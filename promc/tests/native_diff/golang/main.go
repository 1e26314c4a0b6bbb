// native_diff (Go side) -- observes the differential test's value streams into client_golang
// native histograms and prints the resulting protobuf Histogram fields as text. Its C twin,
// native_diff.c, generates the same streams and drives promc's native_schema.c; native_diff.sh
// requires the two outputs to be identical. The stream definitions must stay in step with
// native_diff.c (same splitmix64, same order).
//
// Build (GOPATH mode, against Debian's golang-github-prometheus-client-golang-dev):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o native_diff_go main.go
package main

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

var out *bufio.Writer

type splitmix struct{ s uint64 }

func (r *splitmix) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// bounds8 reads client_golang's schema 8 bucket boundaries from its own source (they are not
// exported): values exactly on every bucket boundary are the sharpest placement test.
func bounds8() []float64 {
	src := os.Getenv("GOPATH") + "/src/github.com/prometheus/client_golang/prometheus/histogram.go"
	text, err := os.ReadFile(src)
	if err != nil {
		panic(err)
	}
	s := string(text)
	s = s[strings.Index(s, "// Schema 8:"):]
	s = s[:strings.Index(s, "}")]
	var b []float64
	for _, m := range regexp.MustCompile(`[0-9]+\.[0-9]+`).FindAllString(s, -1) {
		f, err := strconv.ParseFloat(m, 64)
		if err != nil {
			panic(err)
		}
		b = append(b, f)
	}
	if len(b) != 256 {
		panic("schema 8 table not found")
	}
	return b
}

// edgeValues: the deterministic stream, in native_diff.c's order.
func edgeValues(zt float64, b8 []float64) []float64 {
	var bits []uint64
	add3 := func(x uint64) { bits = append(bits, x-1, x, x+1) }
	for f := uint64(1); f <= 2046; f++ { // every power of two and its float neighbours
		add3(f << 52)
	}
	for k := uint(1); k <= 52; k++ { // subnormal powers of two and neighbours
		add3(uint64(1) << k)
	}
	bits = append(bits, 1, 0x000fffffffffffff, 0x7fefffffffffffff, 0x7feffffffffffffe)
	shifts := []int{-1021, -1000, -500, -127, -126, -64, -10, -2, -1, 0, 1, 2, 3, 10, 64, 127, 128, 500, 1000, 1023, 1024}
	for _, b := range b8 { // every schema-8 boundary (a superset of the lower schemas') at many scales
		for _, d := range shifts {
			x := math.Float64bits(b)&^(uint64(0x7ff)<<52) | uint64(1022+d)<<52
			add3(x)
		}
	}
	if zt > 0 {
		add3(math.Float64bits(zt))
	}
	var v []float64
	for _, x := range bits {
		v = append(v, math.Float64frombits(x))
	}
	v = append(v, 0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN())
	n := len(v)
	for i := 0; i < n; i++ {
		v = append(v, -v[i])
	}
	return v
}

// randomValue: random sign and mantissa; a quarter over the whole exponent range up to 2^977
// (subnormals included, kept below overflow of the sum), the rest within 2^±30. narrow
// instead draws 2^±20 only (the resolution-reduction cases).
func randomValue(r *splitmix, narrow bool) float64 {
	r1, r2 := r.next(), r.next()
	var field uint64
	switch {
	case narrow:
		field = 1023 - 20 + (r1>>8)%41
	case r1&3 == 0:
		field = (r1 >> 8) % 2001
	default:
		field = 1023 - 30 + (r1>>8)%61
	}
	return math.Float64frombits(r1&(1<<63) | field<<52 | r2&(1<<52-1))
}

func factorFor(schema int) float64 { return math.Pow(2, math.Pow(2, float64(-schema))*1.2) }

func newHist(factor, zt float64, maxBuckets uint32) prometheus.Histogram {
	return prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "h", Help: "h", NativeHistogramBucketFactor: factor,
		NativeHistogramZeroThreshold: zt, NativeHistogramMaxBucketNumber: maxBuckets,
	})
}

func fbits(f float64) string {
	if math.IsNaN(f) {
		return "NaN"
	}
	return fmt.Sprintf("%016x", math.Float64bits(f))
}

func printSide(name string, spans []*dto.BucketSpan, deltas []int64) {
	out.WriteString(name + "_spans")
	for _, s := range spans {
		fmt.Fprintf(out, " %d:%d", s.GetOffset(), s.GetLength())
	}
	out.WriteString("\n" + name + "_deltas")
	for _, d := range deltas {
		out.WriteString(" " + strconv.FormatInt(d, 10))
	}
	out.WriteString("\n")
}

func dump(name string, h prometheus.Histogram) {
	var m dto.Metric
	if err := h.(prometheus.Metric).Write(&m); err != nil {
		panic(err)
	}
	x := m.Histogram
	fmt.Fprintf(out, "hist %s\nschema %d\nzero_threshold %s\nzero_count %d\ncount %d\nsum %s\n",
		name, x.GetSchema(), fbits(x.GetZeroThreshold()), x.GetZeroCount(), x.GetSampleCount(),
		fbits(x.GetSampleSum()))
	printSide("pos", x.PositiveSpan, x.PositiveDelta)
	printSide("neg", x.NegativeSpan, x.NegativeDelta)
}

func main() {
	out = bufio.NewWriterSize(os.Stdout, 1<<20)
	defer out.Flush()
	nRandom := 120000
	if len(os.Args) > 1 {
		nRandom, _ = strconv.Atoi(os.Args[1])
	}
	b8 := bounds8()
	total := 0

	// pickSchema at and around the exact factors 2^(2^-n).
	picks := []uint64{0x3ff6a09e667f3bcd, 0x3ff306fe0a31b715, 0x3ff172b83c7d517b, 0x3ff0b5586cf9890f,
		0x3ff059b0d3158574, 0x3ff02c9a3e778061, 0x3ff0163da9fb3335, 0x3ff00b1afa5abcbf,
		math.Float64bits(2), math.Float64bits(4), math.Float64bits(16), math.Float64bits(256),
		math.Float64bits(65536), math.Float64bits(1.1), math.Float64bits(1e300)}
	for _, p := range picks {
		for _, x := range []uint64{p - 1, p, p + 1} {
			var m dto.Metric
			newHist(math.Float64frombits(x), 0, 0).(prometheus.Metric).Write(&m)
			fmt.Fprintf(out, "pick %016x %d\n", x, m.Histogram.GetSchema())
		}
	}

	zts := []float64{0, -1, 1e-310, 1e-3, 1}
	for zi, zt := range zts {
		for schema := -4; schema <= 8; schema++ {
			h := newHist(factorFor(schema), zt, 0)
			resolved := zt
			if zt == 0 {
				resolved = prometheus.DefNativeHistogramZeroThreshold
			}
			for _, v := range edgeValues(resolved, b8) {
				h.Observe(v)
				total++
			}
			dump(fmt.Sprintf("edge schema=%d zt=%d", schema, zi), h)

			h = newHist(factorFor(schema), zt, 0)
			r := splitmix{uint64(1000*zi + schema + 100)}
			for i := 0; i < nRandom; i++ {
				h.Observe(randomValue(&r, false))
				total++
			}
			dump(fmt.Sprintf("random schema=%d zt=%d", schema, zi), h)
		}
	}

	// Resolution reduction: MaxBucketNumber exceeded, client_golang halves the resolution.
	for _, schema := range []int{8, 4, 1, 0} {
		for _, maxb := range []uint32{20, 160} {
			h := newHist(factorFor(schema), 0, maxb)
			r := splitmix{uint64(7000 + schema*10 + int(maxb))}
			for i := 0; i < nRandom; i++ {
				h.Observe(randomValue(&r, true))
				total++
			}
			dump(fmt.Sprintf("reduce schema=%d max=%d", schema, maxb), h)
		}
	}
	h := newHist(factorFor(8), 0, 50)
	for _, v := range edgeValues(prometheus.DefNativeHistogramZeroThreshold, b8) {
		h.Observe(v)
		total++
	}
	dump("reduce-edge schema=8 max=50", h)
	fmt.Fprintf(os.Stderr, "native_diff_go: %d values observed\n", total)
}
