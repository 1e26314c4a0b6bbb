// pb_expfmt -- reads varint-delimited MetricFamily messages on stdin with client_golang's
// expfmt decoder (prometheus/common, as Prometheus' own scrapers do) and prints each family
// with proto's text format and then expfmt's 0.0.4 text rendering, for pb_protoc.sh.
//
// Build: GO111MODULE=off GOPATH=/usr/share/gocode go build -o pb_expfmt main.go
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/golang/protobuf/proto" //nolint:staticcheck // the API Debian's client_model uses
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

func main() {
	dec := expfmt.NewDecoder(os.Stdin, expfmt.FmtProtoDelim)
	for {
		var mf dto.MetricFamily
		if err := dec.Decode(&mf); err == io.EOF {
			break
		} else if err != nil {
			fmt.Fprintln(os.Stderr, "pb_expfmt:", err)
			os.Exit(1)
		}
		fmt.Printf("--- %s\n", mf.GetName())
		if err := proto.MarshalText(os.Stdout, &mf); err != nil {
			panic(err)
		}
		if _, err := expfmt.MetricFamilyToText(os.Stdout, &mf); err != nil {
			fmt.Printf("(no 0.0.4 text: %v)\n", err)
		}
	}
}
