// ref_golang -- the client_golang reference for bench/: the same operations as bench_ops and
// bench_render, measured the same way, printed as the same JSON lines.
//
// Build (GOPATH mode, against Debian's golang-github-prometheus-client-golang-dev):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o ref_golang bench/ref_golang/main.go
//
// Usage: ref_golang ops [reps] [ms-per-rep]    hot paths at 1 and 2 goroutines (GOMAXPROCS=2)
//
//	ref_golang render N [reps]         memory per series at rest, Gather + text encode
//	ref_golang render-pb N [reps]      the same with the delimited protobuf encoding
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
)

const nValues = 4096

// values: the same sequence as bench_util.c: 0.001 * 20000^frac(k * golden ratio).
var values [nValues]float64

func initValues() {
	for i := range values {
		values[i] = 0.001 * math.Pow(20000, math.Mod(float64(i)*0.6180339887498949, 1))
	}
}

func emit(impl, bench string, threads int, value float64, unit, note string) {
	fmt.Printf("{\"impl\": %q, \"bench\": %q, \"threads\": %d, \"value\": %.6g, \"unit\": %q, \"note\": %q}\n",
		impl, bench, threads, value, unit, note)
}

// ---- CPU pinning (sched_setaffinity on the goroutine's locked OS thread) ----

type cpuMask [16]uint64 // 1024 CPUs

func allowedCPUs() []int {
	var m cpuMask
	_, _, e := syscall.RawSyscall(syscall.SYS_SCHED_GETAFFINITY, 0, unsafe.Sizeof(m), uintptr(unsafe.Pointer(&m)))
	if e != 0 {
		return nil
	}
	var cpus []int
	for i := 0; i < len(m)*64; i++ {
		if m[i/64]&(1<<(uint(i)%64)) != 0 {
			cpus = append(cpus, i)
		}
	}
	return cpus
}

func setAffinity(m *cpuMask) bool {
	_, _, e := syscall.RawSyscall(syscall.SYS_SCHED_SETAFFINITY, 0, unsafe.Sizeof(*m), uintptr(unsafe.Pointer(m)))
	return e == 0
}

// pinThread locks the calling goroutine to its OS thread and that thread to cpu; the
// returned function gives the thread back its whole mask and unlocks it.
func pinThread(cpu int, all []int) (bool, func()) {
	runtime.LockOSThread()
	var m, full cpuMask
	m[cpu/64] |= 1 << (uint(cpu) % 64)
	for _, c := range all {
		full[c/64] |= 1 << (uint(c) % 64)
	}
	ok := setAffinity(&m)
	return ok, func() {
		setAffinity(&full)
		runtime.UnlockOSThread()
	}
}

// threadCPU is the calling OS thread's CPU time (RUSAGE_THREAD); meaningful only while the
// goroutine is locked to its thread.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// runThreads runs body on n goroutines released together; returns the mean per-goroutine
// wall-clock ns per operation, whether every goroutine was pinned to its own CPU, and the
// same figure from the threads' CPU time (0 when not pinned).
func runThreads(n int, iters int, body func(iters int)) (float64, bool, float64) {
	cpus := allowedCPUs()
	canPin := len(cpus) >= n
	start := make(chan struct{})
	var ready, done sync.WaitGroup
	elapsed := make([]time.Duration, n)
	cpu := make([]time.Duration, n)
	pinned := make([]bool, n)
	ready.Add(n)
	done.Add(n)
	for t := 0; t < n; t++ {
		go func(t int) {
			defer done.Done()
			if canPin {
				ok, unpin := pinThread(cpus[t], cpus)
				pinned[t] = ok
				defer unpin()
			}
			body(1000) // warm-up, as bench_util.c does
			ready.Done()
			<-start
			t0, c0 := time.Now(), threadCPU()
			body(iters)
			elapsed[t] = time.Since(t0)
			cpu[t] = threadCPU() - c0
		}(t)
	}
	ready.Wait()
	close(start)
	done.Wait()
	sum, cpuSum := 0.0, 0.0
	all := true
	for t := 0; t < n; t++ {
		sum += float64(elapsed[t].Nanoseconds()) / float64(iters)
		cpuSum += float64(cpu[t].Nanoseconds()) / float64(iters)
		all = all && pinned[t]
	}
	if !all {
		cpuSum = 0
	}
	return sum / float64(n), all, cpuSum / float64(n)
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func calibrate(body func(int), targetMs float64) int {
	iters := 1000
	for {
		ns, _, _ := runThreads(1, iters, body)
		total := ns * float64(iters)
		if total >= targetMs*1e6/4 || iters > 1<<40 {
			return int(float64(iters)*targetMs*1e6/math.Max(total, 1)) + 1
		}
		iters *= 4
	}
}

type benchCase struct {
	name  string
	body  func(iters int)
	iters int
	ns    [2][]float64
	cpu   [2][]float64
	pin   [2]bool
}

func runOps(reps int, targetMs float64) {
	reg := prometheus.NewRegistry()
	counter := prometheus.NewCounter(prometheus.CounterOpts{Name: "bench_counter_total", Help: "c"})
	gauge := prometheus.NewGauge(prometheus.GaugeOpts{Name: "bench_gauge", Help: "g"})
	histogram := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "bench_histogram", Help: "h",
		Buckets: []float64{.005, .01, .025, .05, .075, .1, .25, .5, .75, 1, 2.5, 5, 7.5, 10}})
	native := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "bench_native", Help: "h",
		NativeHistogramBucketFactor: 1.1})
	summary := prometheus.NewSummary(prometheus.SummaryOpts{Name: "bench_summary", Help: "s",
		Objectives: map[float64]float64{0.5: 0.05, 0.9: 0.01, 0.99: 0.001}})
	vec := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bench_requests_total", Help: "r"},
		[]string{"method", "path"})
	reg.MustRegister(counter, gauge, histogram, native, summary, vec)
	for _, m := range []string{"GET", "POST", "PUT", "DELETE"} {
		for _, p := range []string{"/", "/api/v1/users", "/api/v1/orders", "/login", "/static"} {
			vec.WithLabelValues(m, p)
		}
	}
	var sink prometheus.Counter
	// churn: as bench_ops, each of the (at most 2) goroutines running at once creates and
	// deletes children with its own 4096 label values; bodies start in pairs, so the parity of
	// a call's sequence number tells the two apart.
	const churnNames = 4096
	var churnSeq int64
	var names [2][churnNames]string
	for t := 0; t < 2; t++ {
		for i := 0; i < churnNames; i++ {
			names[t][i] = fmt.Sprintf("/churn/%d/%d", t, i)
		}
	}
	cases := []*benchCase{
		{name: "counter_inc", body: func(n int) {
			for i := 0; i < n; i++ {
				counter.Inc()
			}
		}},
		{name: "gauge_set", body: func(n int) {
			for i := 0; i < n; i++ {
				gauge.Set(float64(i))
			}
		}},
		{name: "histogram_observe", body: func(n int) {
			for i := 0; i < n; i++ {
				histogram.Observe(values[i%nValues])
			}
		}},
		{name: "native_observe", body: func(n int) {
			for i := 0; i < n; i++ {
				native.Observe(values[i%nValues])
			}
		}},
		{name: "summary_observe", body: func(n int) {
			for i := 0; i < n; i++ {
				summary.Observe(values[i%nValues])
			}
		}},
		{name: "labels_lookup", body: func(n int) {
			var c prometheus.Counter
			for i := 0; i < n; i++ {
				c = vec.WithLabelValues("GET", "/api/v1/users")
			}
			sink = c
		}},
		{name: "labels_churn", body: func(n int) {
			own := &names[atomic.AddInt64(&churnSeq, 1)%2]
			for i := 0; i < n; i++ {
				name := own[i%churnNames]
				vec.WithLabelValues("GET", name)
				vec.DeleteLabelValues("GET", name)
			}
		}},
	}
	only := os.Getenv("BENCH_ONLY")
	var run []*benchCase
	for _, c := range cases {
		if only == "" || strings.Contains(c.name, only) {
			c.iters = calibrate(c.body, targetMs)
			run = append(run, c)
		}
	}
	for r := 0; r < reps; r++ {
		for _, c := range run {
			for t := 1; t <= 2; t++ {
				ns, pinned, cpu := runThreads(t, c.iters, c.body)
				c.ns[t-1] = append(c.ns[t-1], ns)
				c.cpu[t-1] = append(c.cpu[t-1], cpu)
				c.pin[t-1] = pinned
			}
		}
	}
	_ = sink
	for _, c := range run {
		for t := 1; t <= 2; t++ {
			p := "pinned"
			if !c.pin[t-1] {
				p = "NOT pinned"
			}
			emit("client_golang", c.name, t, median(c.ns[t-1]), "ns/op",
				fmt.Sprintf("%s; GOMAXPROCS=%d; %d reps x %d ops; CPU-time median %.3g ns", p,
					runtime.GOMAXPROCS(0), reps, c.iters, median(c.cpu[t-1])))
		}
	}
}

// ---- render ----

func statusBytes(key string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, key+":") {
			fields := strings.Fields(line[len(key)+1:])
			if len(fields) > 0 {
				kib, err := strconv.ParseInt(fields[0], 10, 64)
				if err == nil {
					return kib * 1024
				}
			}
		}
	}
	return -1
}

func resetHWM() bool {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// settle returns the heap to the OS so that RSS shows what is live.
func settle() int64 {
	debug.FreeOSMemory()
	return statusBytes("VmRSS")
}

func runRender(n int, reps int, format expfmt.Format, prefix string) {
	reg := prometheus.NewRegistry()
	vec := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bench_requests_total", Help: "Requests served."},
		[]string{"host", "path"})
	reg.MustRegister(vec)
	rss0 := settle()
	t0 := time.Now()
	for i := 0; i < n; i++ {
		vec.WithLabelValues("host-"+strconv.Itoa(i/1000), "/api/v1/item/"+strconv.Itoa(i%1000)).Inc()
	}
	createNs := float64(time.Since(t0).Nanoseconds()) / float64(n)
	rss1 := settle()

	var ms []float64
	var bytesOut int
	var peakExtra, peakAbs int64
	hwmOK := true
	last := 0
	for r := 0; r < reps; r++ {
		before := settle()
		hwmOK = resetHWM() && hwmOK
		t := time.Now()
		var buf bytes.Buffer
		buf.Grow(last) // as promc reserves the previous render's size
		mfs, err := reg.Gather()
		if err != nil {
			fmt.Fprintln(os.Stderr, "gather:", err)
			os.Exit(1)
		}
		enc := expfmt.NewEncoder(&buf, format)
		for _, mf := range mfs {
			if err := enc.Encode(mf); err != nil {
				fmt.Fprintln(os.Stderr, "encode:", err)
				os.Exit(1)
			}
		}
		ms = append(ms, float64(time.Since(t).Nanoseconds())/1e6)
		hwm := statusBytes("VmHWM")
		bytesOut = buf.Len()
		last = bytesOut
		if hwm-before > peakExtra {
			peakExtra = hwm - before
		}
		if hwm > peakAbs {
			peakAbs = hwm
		}
	}
	note := fmt.Sprintf("%d series, %d reps, GOGC default", n, reps)
	if !hwmOK {
		note += "; VmHWM reset refused: peak is the process's lifetime peak"
	}
	p := fmt.Sprintf("%s%d_", prefix, n)
	emit("client_golang", p+"time", 1, median(ms), "ms", note)
	emit("client_golang", p+"bytes", 1, float64(bytesOut), "bytes", note)
	emit("client_golang", p+"rest_per_series", 1, float64(rss1-rss0)/float64(n), "bytes", note)
	emit("client_golang", p+"peak_extra", 1, float64(peakExtra), "bytes", note)
	emit("client_golang", p+"peak_rss", 1, float64(peakAbs), "bytes", note)
	emit("client_golang", p+"create_per_series", 1, createNs, "ns", note)
}

func main() {
	initValues()
	arg := func(i int, def float64) float64 {
		if len(os.Args) > i {
			if v, err := strconv.ParseFloat(os.Args[i], 64); err == nil {
				return v
			}
		}
		return def
	}
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: ref_golang ops [reps] [ms] | render N [reps] | render-pb N [reps]")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "ops":
		runOps(int(arg(2, 7)), arg(3, 60))
	case "render":
		runRender(int(arg(2, 10000)), int(arg(3, 5)), expfmt.FmtText, "render_")
	case "render-pb":
		runRender(int(arg(2, 10000)), int(arg(3, 5)), expfmt.FmtProtoDelim, "render_pb_")
	default:
		fmt.Fprintln(os.Stderr, "usage: ref_golang ops [reps] [ms] | render N [reps] | render-pb N [reps]")
		os.Exit(2)
	}
}
