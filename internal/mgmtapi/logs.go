package mgmtapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

// The System Log's page sizes (Okta's) and how much one request reads.
const (
	logDefaultLimit = 100
	logMaxLimit     = 1000
	// logDefaultWindow is how far back since goes when not given: 7 days
	// before until.
	logDefaultWindow = 7 * 24 * time.Hour
	// logScanBudget bounds the events one request reads to find a page of
	// matches; past it the page is answered short, with a next link that
	// goes on from the last event read.
	logScanBudget = 10000
	logBatch      = 500
	// logPollLag keeps a polling request off the last second: the event
	// recorder writes in batches (every 200ms by default), so an event of
	// the last moments may not be stored yet, and a poller's cursor must
	// not pass it.
	logPollLag = time.Second
)

func (a *API) routesLogs() {
	a.handle("GET /api/v1/logs", "okta.logs.read", a.listLogs)
}

// logQuery is a parsed GET /logs request.
type logQuery struct {
	f        store.EventFilter // time bounds, order, pushdown, after
	filter   *filterNode
	keywords []string
	limit    int
	// polling: no until, ascending: the answer always links a next page,
	// from which a client polls for what is recorded later.
	polling bool
}

func parseLogTime(q url.Values, name string) (time.Time, error) {
	s := q.Get(name)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, Validation(name, name+": must be an ISO 8601 time such as 2024-03-09T14:30:15.123Z")
	}
	return t, nil
}

func (a *API) parseLogQuery(r *http.Request) (logQuery, error) {
	q := r.URL.Query()
	var lq logQuery
	since, err := parseLogTime(q, "since")
	if err != nil {
		return lq, err
	}
	until, err := parseLogTime(q, "until")
	if err != nil {
		return lq, err
	}
	switch q.Get("sortOrder") {
	case "", "ASCENDING":
	case "DESCENDING":
		lq.f.Descending = true
	default:
		return lq, Validation("sortOrder", "sortOrder: must be ASCENDING or DESCENDING")
	}
	lq.polling = until.IsZero() && !lq.f.Descending
	end := until
	if end.IsZero() {
		end = a.now()
	}
	if since.IsZero() {
		since = end.Add(-logDefaultWindow)
	}
	if !until.IsZero() && !since.Before(until) {
		return lq, Validation("until", "until: must be after since")
	}
	lq.f.Since, lq.f.Until = since, until
	switch {
	case lq.f.Descending && until.IsZero():
		// Newest first from now: a bounded query.
		lq.f.Until = end
	case lq.polling:
		lq.f.Until = end.Add(-logPollLag)
	}

	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return lq, Validation("limit", "limit: must be a positive number")
		}
		lq.limit = min(n, logMaxLimit)
	} else {
		lq.limit = logDefaultLimit
	}
	if s := q.Get("after"); s != "" {
		pos, err := decodeLogCursor(s)
		if err != nil {
			return lq, Validation("after", "after: is not a cursor this API returned")
		}
		lq.f.After = pos
	}
	if s := q.Get("filter"); s != "" {
		n, err := parseFilter(s)
		if err != nil {
			return lq, asFilterError(err)
		}
		if err := checkLogFilter(n); err != nil {
			return lq, err
		}
		lq.filter = n
		logPushdown(n, &lq.f)
	}
	if lq.keywords, err = logKeywords(q.Get("q")); err != nil {
		return lq, err
	}
	return lq, nil
}

// A System Log cursor is the position of the last event of a page: its
// published time (milliseconds) and id, which setPageLinks encodes as
// every cursor.
func logCursor(p store.EventPosition) string {
	return strconv.FormatInt(p.Published.UnixMilli(), 10) + ":" + p.ID
}

func decodeLogCursor(s string) (store.EventPosition, error) {
	raw, err := decodeCursor(s)
	if err != nil {
		return store.EventPosition{}, err
	}
	ms, id, ok := strings.Cut(raw, ":")
	n, err := strconv.ParseInt(ms, 10, 64)
	if !ok || err != nil || n <= 0 || id == "" {
		return store.EventPosition{}, errors.New("bad cursor")
	}
	return store.EventPosition{Published: time.UnixMilli(n).UTC(), ID: id}, nil
}

// listLogs is GET /api/v1/logs: the audit events in Okta's LogEvent shape,
// as stored, oldest first unless sortOrder=DESCENDING.
func (a *API) listLogs(w http.ResponseWriter, r *http.Request) error {
	lq, err := a.parseLogQuery(r)
	if err != nil {
		return err
	}
	var (
		out      []json.RawMessage
		last     store.EventPosition // of the last event read
		more     bool                // events beyond this page may match
		scanned  int
		lastPage store.EventPosition // of the last event on the page
	)
	f := lq.f
	for {
		f.Limit = max(logBatch, lq.limit+1)
		evs, err := a.cfg.Store.ListEvents(r.Context(), f)
		if err != nil {
			return err
		}
		for _, e := range evs {
			scanned++
			pos := store.EventPosition{Published: e.Published, ID: e.ID}
			ok, err := lq.matches(e)
			if err != nil {
				return fmt.Errorf("mgmtapi: event %s: %w", e.ID, err)
			}
			if ok {
				if len(out) == lq.limit {
					more = true
					break
				}
				out = append(out, json.RawMessage(e.JSON))
				lastPage = pos
			}
			last = pos
		}
		if more || len(evs) < f.Limit {
			break
		}
		if scanned >= logScanBudget {
			more = true // unread events remain: go on from the last one read
			lastPage = last
			break
		}
		f.After = last
	}
	next := ""
	switch {
	case more:
		next = logCursor(lastPage)
	case lq.polling && last != (store.EventPosition{}):
		next = logCursor(last)
	case lq.polling && lq.f.After != (store.EventPosition{}):
		next = logCursor(lq.f.After)
	}
	a.setLogLinks(w, r, next, lq.polling)
	if out == nil {
		out = []json.RawMessage{}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// matches applies the filter and keywords to a stored event.
func (lq logQuery) matches(e store.StoredEvent) (bool, error) {
	if lq.filter == nil && len(lq.keywords) == 0 {
		return true, nil
	}
	ev, err := decodeLog(e.JSON)
	if err != nil {
		return false, err
	}
	if lq.filter != nil && !matchLog(lq.filter, ev) {
		return false, nil
	}
	return matchKeywords(lq.keywords, ev), nil
}

// setLogLinks sets the self and next links. A polling request always gets
// a next link: with after when there is a position to go on from, else the
// same request again.
func (a *API) setLogLinks(w http.ResponseWriter, r *http.Request, nextAfter string, polling bool) {
	if nextAfter != "" || !polling {
		a.setPageLinks(w, r, nextAfter)
		return
	}
	a.setPageLinks(w, r, "")
	self := w.Header().Values("Link")[0]
	w.Header().Add("Link", strings.TrimSuffix(self, `rel="self"`)+`rel="next"`)
}
