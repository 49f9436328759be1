package server

import (
	"errors"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/wactor/wactor/host"
)

// Metrics are a server's Prometheus series, in a registry of their own
// (not the global one), so that several servers can live in one process.
// Make them with NewMetrics before the host, and set Observer's result as
// the host's Config.Observer: that is how they see calls, traps and
// restarts (Options.Metrics). A *Metrics is a host.Observer.
type Metrics struct {
	reg      *prometheus.Registry
	calls    *prometheus.CounterVec
	duration *prometheus.HistogramVec
	queue    *prometheus.HistogramVec
	traps    *prometheus.CounterVec
	restarts *prometheus.CounterVec
	requests *prometheus.CounterVec
	// forbidden counts refused accesses across namespaces (host.ErrForbidden).
	forbidden *prometheus.CounterVec
	host      atomic.Pointer[host.Host]

	mu    sync.RWMutex
	cache map[seriesKey]*callSeries
}

// callBuckets span a C guest's microseconds to the 30 s default deadline.
var callBuckets = []float64{1e-5, 5e-5, 1e-4, 5e-4, 1e-3, 5e-3, 0.01, 0.05, 0.1, 0.5, 1, 5, 30}

// NewMetrics makes a server's series, empty.
func NewMetrics() *Metrics {
	m := &Metrics{
		cache: map[seriesKey]*callSeries{},
		reg:   prometheus.NewRegistry(),
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wactor_calls_total",
			Help: "Method calls that ran, by class, method and outcome (ok, app_error, trap, deadline, cancelled, killed, actor_died, error).",
		}, []string{"class", "method", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "wactor_call_duration_seconds",
			Help:    "Time a call ran in its sandbox.",
			Buckets: callBuckets,
		}, []string{"class", "method"}),
		queue: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "wactor_call_queue_seconds",
			Help:    "Time a call waited in its actor's mailbox before it ran.",
			Buckets: callBuckets,
		}, []string{"class"}),
		traps: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wactor_traps_total",
			Help: "Calls that ended in a trap, by class and reason (trap, deadline, cancelled, memory, abi, killed).",
		}, []string{"class", "reason"}),
		restarts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wactor_restarts_total",
			Help: "Actor restarts after a trap, by class.",
		}, []string{"class"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wactor_http_requests_total",
			Help: "HTTP requests by route pattern and status code.",
		}, []string{"route", "code"}),
		forbidden: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wactor_forbidden_total",
			Help: "Accesses refused because they reached outside the caller's namespace, by the namespace that asked and the operation (get_actor, call, send, kill, spawn, delete_class).",
		}, []string{"namespace", "op"}),
	}
	m.reg.MustRegister(m.calls, m.duration, m.queue, m.traps, m.restarts, m.requests, m.forbidden,
		actorsCollector{m},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// watch sets the host whose actors the wactor_actors and wactor_queue_depth
// gauges count at scrape time.
func (m *Metrics) watch(h *host.Host) { m.host.Store(h) }

func (m *Metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

func (m *Metrics) request(route string, status int) {
	m.requests.WithLabelValues(route, strconv.Itoa(status)).Inc()
}

// Observer returns the host.Observer that feeds the metrics, and also next
// if it is not nil: set it as the host's Config.Observer.
func (m *Metrics) Observer(next host.Observer) host.Observer {
	if next == nil {
		return m
	}
	return teeObserver{m, next}
}

// callSeries are the series of one class and method, looked up once:
// label lookups cost more than the C guest's calls.
type callSeries struct {
	ok              prometheus.Counter
	duration, queue prometheus.Observer
}

type seriesKey struct{ class, method string }

// series returns the cached series of a class and method.
func (m *Metrics) series(class, method string) *callSeries {
	k := seriesKey{class, method}
	m.mu.RLock()
	s := m.cache[k]
	m.mu.RUnlock()
	if s != nil {
		return s
	}
	s = &callSeries{
		ok:       m.calls.WithLabelValues(class, method, "ok"),
		duration: m.duration.WithLabelValues(class, method),
		queue:    m.queue.WithLabelValues(class),
	}
	m.mu.Lock()
	m.cache[k] = s
	m.mu.Unlock()
	return s
}

// forgetClass deletes the series of a class the host unloaded: a tenant
// that uploads, calls and deletes class after class would otherwise grow
// the registry (a series per class and method) for as long as the server
// runs.
func (m *Metrics) forgetClass(class string) {
	m.mu.Lock()
	for k := range m.cache {
		if k.class == class {
			delete(m.cache, k)
		}
	}
	m.mu.Unlock()
	l := prometheus.Labels{"class": class}
	m.calls.DeletePartialMatch(l)
	m.duration.DeletePartialMatch(l)
	m.queue.DeletePartialMatch(l)
	m.traps.DeletePartialMatch(l)
	m.restarts.DeletePartialMatch(l)
}

// CallDone counts a finished call.
func (m *Metrics) CallDone(e host.CallEvent) {
	s := m.series(e.Class, e.Method)
	if e.Err == nil {
		s.ok.Inc()
	} else {
		m.calls.WithLabelValues(e.Class, e.Method, outcome(e.Err)).Inc()
	}
	s.duration.Observe(e.Ran.Seconds())
	s.queue.Observe(e.Queued.Seconds())
	var trap *host.TrapError
	if errors.As(e.Err, &trap) {
		m.traps.WithLabelValues(e.Class, string(trap.Reason)).Inc()
	}
}

// ActorChanged counts restarts.
func (m *Metrics) ActorChanged(e host.ActorEvent) {
	if e.State == host.StateRestarting {
		m.restarts.WithLabelValues(e.Class).Inc()
	}
}

// Forbidden counts a refused access.
func (m *Metrics) Forbidden(e host.ForbiddenEvent) {
	m.forbidden.WithLabelValues(e.Namespace, e.Op).Inc()
}

// outcome classifies a call's result for wactor_calls_total.
func outcome(err error) string {
	var (
		trap *host.TrapError
		app  *host.AppError
		died *host.ActorDiedError
	)
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &app):
		return "app_error"
	case errors.As(err, &died):
		return "actor_died"
	case errors.As(err, &trap):
		switch trap.Reason {
		case host.TrapDeadline:
			return "deadline"
		case host.TrapCancelled:
			return "cancelled"
		case host.TrapKilled:
			return "killed"
		}
		return "trap"
	}
	return "error"
}

// teeObserver passes events to two observers.
type teeObserver struct{ a, b host.Observer }

// CallDone reports to both observers.
func (t teeObserver) CallDone(e host.CallEvent) { t.a.CallDone(e); t.b.CallDone(e) }

// ActorChanged reports to both observers.
func (t teeObserver) ActorChanged(e host.ActorEvent) { t.a.ActorChanged(e); t.b.ActorChanged(e) }

// Forbidden reports to those of the two observers that want it.
func (t teeObserver) Forbidden(e host.ForbiddenEvent) {
	for _, o := range []host.Observer{t.a, t.b} {
		if f, ok := o.(host.ForbiddenObserver); ok {
			f.Forbidden(e)
		}
	}
}

var (
	actorsDesc = prometheus.NewDesc("wactor_actors", "Actors by state: the live ones and the dead ones the host keeps.", []string{"state"}, nil)
	queueDesc  = prometheus.NewDesc("wactor_queue_depth", "Calls queued in all actors' mailboxes.", nil, nil)
	nodeDescs  = map[string]*prometheus.Desc{
		"sandboxes":      prometheus.NewDesc("wactor_sandboxes", "Actors holding a sandbox now (not passivated).", nil, nil),
		"memory":         prometheus.NewDesc("wactor_sandbox_memory_bytes", "Linear memory of the live sandboxes.", nil, nil),
		"passive_bytes":  prometheus.NewDesc("wactor_passive_state_bytes", "Bytes kept for the states of passivated actors.", nil, nil),
		"passivations":   prometheus.NewDesc("wactor_passivations_total", "Actors passivated since the host started.", nil, nil),
		"reactivations":  prometheus.NewDesc("wactor_reactivations_total", "Passivated actors restored by a call since the host started.", nil, nil),
		"waiting":        prometheus.NewDesc("wactor_admission_waiting", "Spawns waiting for resources.", nil, nil),
		"classes":        prometheus.NewDesc("wactor_classes", "Loaded classes.", nil, nil),
		"class_bytes":    prometheus.NewDesc("wactor_class_bytes", "Size of the loaded classes' modules, as uploaded.", nil, nil),
		"template_bytes": prometheus.NewDesc("wactor_template_bytes", "Memory the class templates hold (their non-zero pages).", nil, nil),
		"slices":         prometheus.NewDesc("wactor_scheduler_slices_total", "Time slices the workers started (a mailbox taken in its namespace's turn, a yielded call resumed, a constructor's place).", nil, nil),
		"preempts":       prometheus.NewDesc("wactor_scheduler_preempts_total", "Slices asked to yield because their time was up while other calls waited.", nil, nil),
		"yields":         prometheus.NewDesc("wactor_scheduler_yields_total", "Calls that gave their worker to waiting work and waited for their namespace's turn.", nil, nil),
	}
	resourceDesc = prometheus.NewDesc("wactor_resource", "Node resources by name and kind (capacity, reserved, pending); capacity -1 is unlimited.", []string{"resource", "kind"}, nil)
)

// actorsCollector computes the actor gauges from Host.Actors at scrape time.
type actorsCollector struct{ m *Metrics }

// Describe sends the gauges' descriptions.
func (c actorsCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- actorsDesc
	ch <- queueDesc
	for _, d := range nodeDescs {
		ch <- d
	}
	ch <- resourceDesc
}

// Collect counts the host's actors by state and their queued calls.
func (c actorsCollector) Collect(ch chan<- prometheus.Metric) {
	counts := map[host.State]int{host.StatePending: 0, host.StateAlive: 0, host.StateRestarting: 0, host.StateDead: 0, host.StatePassive: 0, host.StateDamaged: 0}
	depth := 0
	if h := c.m.host.Load(); h != nil {
		for _, a := range h.Actors() {
			counts[a.State]++
			depth += a.QueueLen
		}
	}
	for st, n := range counts {
		ch <- prometheus.MustNewConstMetric(actorsDesc, prometheus.GaugeValue, float64(n), string(st))
	}
	ch <- prometheus.MustNewConstMetric(queueDesc, prometheus.GaugeValue, float64(depth))
	h := c.m.host.Load()
	if h == nil {
		return
	}
	u := h.Usage()
	gauge := func(name string, v float64, kind prometheus.ValueType) {
		ch <- prometheus.MustNewConstMetric(nodeDescs[name], kind, v)
	}
	gauge("sandboxes", float64(u.Sandboxes), prometheus.GaugeValue)
	gauge("memory", float64(u.MemoryBytes), prometheus.GaugeValue)
	gauge("passive_bytes", float64(u.PassiveBytes), prometheus.GaugeValue)
	gauge("passivations", float64(u.Passivations), prometheus.CounterValue)
	gauge("reactivations", float64(u.Reactivations), prometheus.CounterValue)
	gauge("waiting", float64(u.Resources.Waiting), prometheus.GaugeValue)
	gauge("classes", float64(u.Classes), prometheus.GaugeValue)
	gauge("class_bytes", float64(u.ClassBytes), prometheus.GaugeValue)
	gauge("template_bytes", float64(u.TemplateBytes), prometheus.GaugeValue)
	gauge("slices", float64(u.Slices), prometheus.CounterValue)
	gauge("preempts", float64(u.Preempts), prometheus.CounterValue)
	gauge("yields", float64(u.Yields), prometheus.CounterValue)
	for _, r := range u.Resources.Items {
		ch <- prometheus.MustNewConstMetric(resourceDesc, prometheus.GaugeValue, r.Capacity, r.Name, "capacity")
		ch <- prometheus.MustNewConstMetric(resourceDesc, prometheus.GaugeValue, r.Reserved, r.Name, "reserved")
		ch <- prometheus.MustNewConstMetric(resourceDesc, prometheus.GaugeValue, r.Pending, r.Name, "pending")
	}
}
