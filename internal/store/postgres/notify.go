package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/latchkey/latchkey/internal/store/cache"
)

// NotifyChannel is the PostgreSQL notification channel of the store
// cache's invalidations; a notification's payload is a cache kind.
const NotifyChannel = "latchkey_cache"

// NotifyOptions tune StartNotifyInvalidator. The zero value is sensible.
type NotifyOptions struct {
	// Logger reports lost connections and reconnections; discarded when nil.
	Logger *slog.Logger
	// MinBackoff and MaxBackoff bound the wait before each attempt to
	// reconnect the listening connection: it starts at MinBackoff and
	// doubles up to MaxBackoff (defaults 100 ms and 5 s), with jitter so
	// that instances cut off together do not reconnect in step.
	MinBackoff, MaxBackoff time.Duration
	// IdleCheck is how long the listening connection may stay silent
	// before it is pinged, so that a connection lost without a word (a
	// dead network path) is noticed (default 30 s).
	IdleCheck time.Duration
}

// NotifyInvalidator is the cache.Invalidator of instances sharing one
// PostgreSQL database. Publish sends NOTIFY on NotifyChannel; one
// dedicated connection LISTENs on it and delivers every notification, of
// any instance, this one included, to every subscriber. When that
// connection is lost it reconnects with backoff and then delivers
// cache.KindAll, since notifications sent meanwhile are lost. It is safe
// for concurrent use.
//
// It uses at most three connections of its own: the listening one and a
// pool of two for Publish.
type NotifyInvalidator struct {
	connCfg *pgx.ConnConfig
	pub     *pgxpool.Pool
	logger  *slog.Logger
	minWait time.Duration
	maxWait time.Duration
	idle    time.Duration

	stop      context.CancelFunc
	done      chan struct{}
	closeOnce sync.Once

	mu   sync.Mutex // serialises deliveries, and guards subs and next
	subs map[int]func(string)
	next int
}

// StartNotifyInvalidator connects to the database at dsn (the store's DSN;
// its pool_* parameters are ignored), starts listening and returns once
// LISTEN is in effect, so that every Publish after it returns is
// delivered. It listens until ctx is done or Close is called; Close must
// be called either way, to release the connections.
func StartNotifyInvalidator(ctx context.Context, dsn string, opts NotifyOptions) (*NotifyInvalidator, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: notify: dsn: %w", err)
	}
	n := &NotifyInvalidator{connCfg: cfg.ConnConfig, logger: opts.Logger,
		minWait: opts.MinBackoff, maxWait: opts.MaxBackoff, idle: opts.IdleCheck,
		done: make(chan struct{}), subs: map[int]func(string){}}
	if n.logger == nil {
		n.logger = slog.New(slog.DiscardHandler)
	}
	if n.minWait <= 0 {
		n.minWait = 100 * time.Millisecond
	}
	if n.maxWait < n.minWait {
		n.maxWait = max(5*time.Second, n.minWait)
	}
	if n.idle <= 0 {
		n.idle = 30 * time.Second
	}
	cfg.MaxConns, cfg.MinConns, cfg.MinIdleConns = 2, 0, 0
	if n.pub, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return nil, fmt.Errorf("postgres: notify: %w", err)
	}
	conn, err := n.listen(ctx)
	if err != nil {
		n.pub.Close()
		return nil, err
	}
	ctx, n.stop = context.WithCancel(ctx)
	go n.run(ctx, conn)
	return n, nil
}

// Publish implements cache.Invalidator: it sends kind to every instance
// listening on the database, this one included.
func (n *NotifyInvalidator) Publish(ctx context.Context, kind string) error {
	if _, err := n.pub.Exec(ctx, `SELECT pg_notify($1, $2)`, NotifyChannel, kind); err != nil {
		return fmt.Errorf("postgres: notify %s: %w", kind, err)
	}
	return nil
}

// Subscribe implements cache.Invalidator.
func (n *NotifyInvalidator) Subscribe(fn func(kind string)) (cancel func()) {
	n.mu.Lock()
	defer n.mu.Unlock()
	id := n.next
	n.next++
	n.subs[id] = fn
	return func() {
		n.mu.Lock()
		defer n.mu.Unlock()
		delete(n.subs, id)
	}
}

// Close stops listening and closes the connections. It waits for a
// delivery in progress to finish.
func (n *NotifyInvalidator) Close() error {
	n.closeOnce.Do(func() {
		n.stop()
		<-n.done
		n.pub.Close()
	})
	return nil
}

func (n *NotifyInvalidator) deliver(kind string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, fn := range n.subs {
		fn(kind)
	}
}

// listen opens the listening connection.
func (n *NotifyInvalidator) listen(ctx context.Context) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, n.connCfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: notify: connect: %w", err)
	}
	if _, err := conn.Exec(ctx, `LISTEN `+NotifyChannel); err != nil {
		closeConn(conn)
		return nil, fmt.Errorf("postgres: notify: listen: %w", err)
	}
	return conn, nil
}

// run delivers what conn receives, reconnecting when it is lost, until
// ctx is done.
func (n *NotifyInvalidator) run(ctx context.Context, conn *pgx.Conn) {
	defer close(n.done)
	for {
		err := n.receive(ctx, conn)
		closeConn(conn)
		if ctx.Err() != nil {
			return
		}
		n.logger.Warn("cache invalidations: lost the listening connection; reconnecting", "err", err)
		if conn = n.reconnect(ctx); conn == nil {
			return
		}
		n.logger.Info("cache invalidations: listening again; every cached record is dropped")
		n.deliver(cache.KindAll)
	}
}

// pingTimeout bounds the ping of a silent listening connection.
const pingTimeout = 10 * time.Second

// receive delivers notifications until conn fails or ctx is done. A
// connection silent for n.idle is pinged.
func (n *NotifyInvalidator) receive(ctx context.Context, conn *pgx.Conn) error {
	for {
		wctx, cancel := context.WithTimeout(ctx, n.idle)
		msg, err := conn.WaitForNotification(wctx)
		idle := wctx.Err() != nil && ctx.Err() == nil
		cancel()
		switch {
		case err == nil:
			n.deliver(msg.Payload)
		case idle && !conn.IsClosed():
			pctx, cancel := context.WithTimeout(ctx, pingTimeout)
			err = conn.Ping(pctx)
			cancel()
			if err != nil {
				return fmt.Errorf("ping: %w", err)
			}
		default:
			return err
		}
	}
}

// reconnect opens a listening connection, waiting between attempts; nil
// when ctx is done first.
func (n *NotifyInvalidator) reconnect(ctx context.Context) *pgx.Conn {
	wait := n.minWait
	for {
		// Jitter: 75 % to 125 % of wait.
		d := wait*3/4 + rand.N(wait/2+1)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		actx, cancel := context.WithTimeout(ctx, max(n.maxWait, 5*time.Second))
		conn, err := n.listen(actx)
		cancel()
		if err == nil {
			return conn
		}
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			return nil
		}
		n.logger.Warn("cache invalidations: reconnect failed", "err", err, "retry_in", wait)
		wait = min(wait*2, n.maxWait)
	}
}

// closeConn closes conn, giving the server a moment to hear of it.
func closeConn(conn *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = conn.Close(ctx)
}

var _ cache.Invalidator = (*NotifyInvalidator)(nil)
