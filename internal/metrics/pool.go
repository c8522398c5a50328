package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/latchkey/latchkey/internal/password"
)

// HashPool registers the password hashing pool's metrics, read from stats
// (password.Hasher.Stats) at every scrape.
func (m *Metrics) HashPool(stats func() password.PoolStats) {
	m.reg.MustRegister(&poolCollector{stats: stats})
}

var (
	poolWorkers = prometheus.NewDesc("latchkey_password_hash_workers",
		"Worker slots of the password hashing pool.", nil, nil)
	poolBusy = prometheus.NewDesc("latchkey_password_hash_busy_workers",
		"Worker slots of the password hashing pool in use.", nil, nil)
	poolQueued = prometheus.NewDesc("latchkey_password_hash_queue_length",
		"Password checks and hashes waiting for a worker.", nil, nil)
	poolQueueCap = prometheus.NewDesc("latchkey_password_hash_queue_capacity",
		"The most password checks and hashes that may wait (password.queue); beyond, 503.", nil, nil)
	poolWait = prometheus.NewDesc("latchkey_password_hash_wait_seconds",
		"Time password checks and hashes that had to wait spent waiting for a worker.", nil, nil)
	poolRejected = prometheus.NewDesc("latchkey_password_hash_rejected_total",
		"Password checks and hashes refused at once because the queue, or the client's or source's share of it, was full.", nil, nil)
)

type poolCollector struct {
	stats func() password.PoolStats
}

func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{poolWorkers, poolBusy, poolQueued, poolQueueCap, poolWait, poolRejected} {
		ch <- d
	}
}

func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.stats()
	ch <- prometheus.MustNewConstMetric(poolWorkers, prometheus.GaugeValue, float64(s.Workers))
	ch <- prometheus.MustNewConstMetric(poolBusy, prometheus.GaugeValue, float64(s.Busy))
	ch <- prometheus.MustNewConstMetric(poolQueued, prometheus.GaugeValue, float64(s.Queued))
	ch <- prometheus.MustNewConstMetric(poolQueueCap, prometheus.GaugeValue, float64(s.QueueCap))
	ch <- prometheus.MustNewConstSummary(poolWait, s.Waits, s.WaitTime.Seconds(), nil)
	ch <- prometheus.MustNewConstMetric(poolRejected, prometheus.CounterValue, float64(s.Rejected))
}
