package e2e

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// pgCounter is a loopback TCP proxy in front of a PostgreSQL server that
// reads the client's side of the wire protocol and counts what reaches
// the database: round trips (each Sync of the extended protocol and each
// simple Query waits for the server's answer), and the statements
// executed, as reads (SELECT, WITH) and writes (INSERT, UPDATE, DELETE),
// transaction control and pings apart. It exists to count; the timings
// are measured without it, since it adds two loopback hops per round trip.
type pgCounter struct {
	ln     net.Listener
	target string
	wg     sync.WaitGroup

	roundTrips, reads, writes atomic.Int64
}

// newPGCounter starts a counting proxy to the server of dsn and returns it
// with the DSN that connects through it. It stops when tb ends.
func newPGCounter(tb testing.TB, dsn string) (*pgCounter, string) {
	tb.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		tb.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	p := &pgCounter{ln: ln, target: u.Host}
	p.wg.Add(1)
	go p.accept()
	tb.Cleanup(func() { _ = ln.Close(); p.wg.Wait() })
	u.Host = ln.Addr().String()
	return p, u.String()
}

// reset zeroes the counts.
func (p *pgCounter) reset() {
	p.roundTrips.Store(0)
	p.reads.Store(0)
	p.writes.Store(0)
}

func (p *pgCounter) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.serve(c)
		}()
	}
}

// serve relays one connection and counts its client's messages.
func (p *pgCounter) serve(client net.Conn) {
	defer client.Close()
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer server.Close()
	go func() {
		_, _ = io.Copy(client, server)
		_ = client.Close()
	}()
	_ = p.relay(bufio.NewReader(client), server)
}

// Codes of the untyped messages a client may send before its startup
// message; the server answers each with one byte ('N': go on in clear).
const (
	sslRequest    = 80877103
	gssEncRequest = 80877104
)

// relay forwards the client's messages to w, counting them.
func (p *pgCounter) relay(r *bufio.Reader, w io.Writer) error {
	// Untyped: an SSL or GSS request (then again), then the startup message.
	for {
		msg, err := readMsg(r, false)
		if err != nil {
			return err
		}
		if _, err := w.Write(msg); err != nil {
			return err
		}
		if code := binary.BigEndian.Uint32(msg[4:8]); code != sslRequest && code != gssEncRequest {
			break
		}
	}
	stmts := map[string]string{}   // prepared statement name -> kind
	portals := map[string]string{} // portal name -> kind of its statement
	for {
		msg, err := readMsg(r, true)
		if err != nil {
			return err
		}
		if _, err := w.Write(msg); err != nil {
			return err
		}
		body := msg[5:]
		switch msg[0] {
		case 'Q': // simple query: one round trip
			p.roundTrips.Add(1)
			p.count(kindOf(cstring(body, 0)))
		case 'S': // sync: the end of an extended-protocol exchange
			p.roundTrips.Add(1)
		case 'P': // parse: name, query
			name := cstring(body, 0)
			stmts[name] = kindOf(cstring(body, 1))
		case 'B': // bind: portal, statement
			portals[cstring(body, 0)] = stmts[cstring(body, 1)]
		case 'E': // execute: portal
			p.count(portals[cstring(body, 0)])
		case 'X':
			return nil
		}
	}
}

func (p *pgCounter) count(kind string) {
	switch kind {
	case "read":
		p.reads.Add(1)
	case "write":
		p.writes.Add(1)
	}
}

// readMsg reads one whole message: a type byte when typed, then a length
// that counts itself, then the body.
func readMsg(r *bufio.Reader, typed bool) ([]byte, error) {
	head := 4
	if typed {
		head = 5
	}
	msg := make([]byte, head)
	if _, err := io.ReadFull(r, msg); err != nil {
		return nil, err
	}
	n := int(binary.BigEndian.Uint32(msg[head-4:]))
	if n < 4 || n > 1<<30 {
		return nil, errors.New("pgcounter: bad message length")
	}
	msg = append(msg, make([]byte, n-4)...)
	_, err := io.ReadFull(r, msg[head:])
	return msg, err
}

// cstring is the i-th NUL-terminated string of b.
func cstring(b []byte, i int) string {
	for ; i > 0; i-- {
		j := bytes.IndexByte(b, 0)
		if j < 0 {
			return ""
		}
		b = b[j+1:]
	}
	if j := bytes.IndexByte(b, 0); j >= 0 {
		b = b[:j]
	}
	return string(b)
}

// kindOf classifies a statement by its first word.
func kindOf(query string) string {
	f := strings.Fields(strings.TrimLeft(query, " \t\n("))
	if len(f) == 0 {
		return ""
	}
	switch strings.ToLower(f[0]) {
	case "select", "with":
		return "read"
	case "insert", "update", "delete":
		return "write"
	case "begin", "commit", "rollback", "savepoint", "release":
		return "tx"
	}
	return "other" // pgx's "-- ping", SET, LISTEN, …
}
