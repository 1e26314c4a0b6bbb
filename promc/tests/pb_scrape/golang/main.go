// pb_compare -- client_golang's expfmt reads promc's protobuf scrape and promc's text scrape of
// the same registry and checks they are the same families, for pb_scrape.sh.
//
// The protobuf stream is read with expfmt's delimited decoder (as Prometheus' scrapers do), the
// text with expfmt's TextParser. Both sides are then written with expfmt.MetricFamilyToText,
// which drops what 0.0.4 text cannot carry (exemplars, created timestamps, unit) and adds the
// +Inf bucket the protobuf leaves implicit, so equal output means equal names, types, help,
// label sets, values, buckets and quantiles. Exemplars are checked on the protobuf side.
//
// With --native FILE.pb it prints each histogram's native half instead, one line per series.
//
// Usage: pb_compare SCRAPE.pb SCRAPE.txt | pb_compare --native FILE.pb
// Build: GO111MODULE=off GOPATH=/usr/share/gocode go build -o pb_compare main.go
package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"sort"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

func fail(format string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, "pb_compare: "+format+"\n", a...)
	os.Exit(1)
}

func sortLabels(mf *dto.MetricFamily) {
	for _, m := range mf.Metric {
		sort.Slice(m.Label, func(i, j int) bool { return m.Label[i].GetName() < m.Label[j].GetName() })
	}
}

func asText(mf *dto.MetricFamily) string {
	sortLabels(mf)
	var b bytes.Buffer
	if _, err := expfmt.MetricFamilyToText(&b, mf); err != nil {
		fail("MetricFamilyToText(%s): %v", mf.GetName(), err)
	}
	return b.String()
}

func spans(s []*dto.BucketSpan) string {
	var b bytes.Buffer
	for i, sp := range s {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%d:%d", sp.GetOffset(), sp.GetLength())
	}
	return "[" + b.String() + "]"
}

func printNative(path string) {
	f, err := os.Open(path)
	if err != nil {
		fail("%v", err)
	}
	dec := expfmt.NewDecoder(f, expfmt.FmtProtoDelim)
	for {
		mf := &dto.MetricFamily{}
		if err := dec.Decode(mf); err == io.EOF {
			return
		} else if err != nil {
			fail("decoding protobuf: %v", err)
		}
		for _, m := range mf.Metric {
			h := m.GetHistogram()
			if h.Schema == nil {
				fail("%s: no schema, not a native histogram", mf.GetName())
			}
			fmt.Printf("%s %v schema=%d zero_threshold=%g zero_count=%d neg=%s %v pos=%s %v "+
				"count=%d sum=%g classic_buckets=%d\n", mf.GetName(), m.GetLabel()[0].GetValue(),
				h.GetSchema(), h.GetZeroThreshold(), h.GetZeroCount(), spans(h.NegativeSpan),
				h.NegativeDelta, spans(h.PositiveSpan), h.PositiveDelta, h.GetSampleCount(),
				h.GetSampleSum(), len(h.Bucket))
		}
	}
}

func main() {
	if len(os.Args) == 3 && os.Args[1] == "--native" {
		printNative(os.Args[2])
		return
	}
	if len(os.Args) != 3 {
		fail("usage: pb_compare SCRAPE.pb SCRAPE.txt")
	}
	pbFile, err := os.Open(os.Args[1])
	if err != nil {
		fail("%v", err)
	}
	var fromPB []*dto.MetricFamily
	dec := expfmt.NewDecoder(pbFile, expfmt.FmtProtoDelim)
	for {
		mf := &dto.MetricFamily{}
		if err := dec.Decode(mf); err == io.EOF {
			break
		} else if err != nil {
			fail("decoding protobuf: %v", err)
		}
		fromPB = append(fromPB, mf)
	}
	txtFile, err := os.Open(os.Args[2])
	if err != nil {
		fail("%v", err)
	}
	var parser expfmt.TextParser
	fromText, err := parser.TextToMetricFamilies(txtFile)
	if err != nil {
		fail("parsing text: %v", err)
	}
	if len(fromPB) != len(fromText) {
		fail("%d families in protobuf, %d in text", len(fromPB), len(fromText))
	}
	exemplars, series := 0, 0
	for _, mf := range fromPB {
		tf, ok := fromText[mf.GetName()]
		if !ok {
			fail("family %s is in protobuf, not in text", mf.GetName())
		}
		for _, m := range mf.Metric {
			series++
			if e := m.GetCounter().GetExemplar(); e != nil {
				if e.Timestamp == nil || len(e.Label) == 0 {
					fail("%s: counter exemplar without labels or timestamp", mf.GetName())
				}
				exemplars++
			}
			for _, b := range m.GetHistogram().GetBucket() {
				if e := b.GetExemplar(); e != nil {
					if e.Timestamp == nil || len(e.Label) == 0 {
						fail("%s: bucket exemplar without labels or timestamp", mf.GetName())
					}
					exemplars++
				}
			}
		}
		p, t := asText(mf), asText(tf)
		if p != t {
			fail("family %s differs:\n--- from protobuf\n%s--- from text\n%s", mf.GetName(), p, t)
		}
		fmt.Printf("same: %s (%s, %d series)\n", mf.GetName(), mf.GetType(), len(mf.Metric))
	}
	fmt.Printf("expfmt: %d families, %d series, %d exemplars: protobuf and text agree\n",
		len(fromPB), series, exemplars)
}
