package oauth

import (
	"sync"
	"time"
)

// overloadLogsPerSecond bounds the log lines written about overload
// answers (503), whatever the number of refused requests: under a flood
// one line per refusal would become a second flood (15,000 lines in 12
// seconds from one attacker, before this existed).
const overloadLogsPerSecond = 3

// logThrottle lets a few lines a second through and counts the rest, so
// the next line that passes can say how many were left out. The zero value
// is ready; it is safe for concurrent use.
type logThrottle struct {
	mu         sync.Mutex
	second     int64
	n          int
	suppressed int
}

// allow reports whether a line may be written now and how many were
// suppressed since the last one that was.
func (t *logThrottle) allow(now time.Time) (ok bool, suppressed int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if s := now.Unix(); s != t.second {
		t.second, t.n = s, 0
	}
	if t.n >= overloadLogsPerSecond {
		t.suppressed++
		return false, 0
	}
	t.n++
	suppressed, t.suppressed = t.suppressed, 0
	return true, suppressed
}
