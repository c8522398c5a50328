package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// Errors returned by the Hasher.
var (
	// ErrBusy means no worker is free and the queue, or the caller's share
	// of it (its QueueKey's client or source), is full; try again later.
	ErrBusy = errors.New("password: hashing pool is busy")
	// ErrUnknownFormat means an encoded hash is of no format this package reads.
	ErrUnknownFormat = errors.New("password: unknown hash format")
	// ErrMalformed means an encoded hash of a known format could not be parsed.
	ErrMalformed = errors.New("password: malformed hash")
)

// MaxBcryptCost is the highest bcrypt cost verified; a stored hash above it
// is treated as malformed (cost 15 is about 2 seconds on one core).
const MaxBcryptCost = 15

// MaxLength is the longest password accepted, in bytes. Longer input is
// rejected before any hashing so that it cannot be used to burn CPU.
const MaxLength = 1024

// Params are argon2id's cost parameters.
type Params struct {
	MemoryKiB   uint32 // memory cost in KiB
	Iterations  uint32 // passes over memory
	Parallelism uint8  // lanes
	SaltLen     uint32 // bytes
	KeyLen      uint32 // bytes
}

// OWASP is OWASP's recommended argon2id configuration (19 MiB, 2 passes, 1 lane).
var OWASP = Params{MemoryKiB: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLen: 16, KeyLen: 32}

// Validate reports whether the parameters are usable.
func (p Params) Validate() error {
	switch {
	case p.MemoryKiB < 8*uint32(p.Parallelism) || p.MemoryKiB == 0:
		return fmt.Errorf("password: memory must be at least 8 KiB per lane")
	case p.Iterations < 1:
		return fmt.Errorf("password: iterations must be at least 1")
	case p.Parallelism < 1:
		return fmt.Errorf("password: parallelism must be at least 1")
	case p.SaltLen < 8:
		return fmt.Errorf("password: salt must be at least 8 bytes")
	case p.KeyLen < 16:
		return fmt.Errorf("password: key length must be at least 16 bytes")
	}
	return nil
}

// Config configures a Hasher. Zero values take the defaults described.
type Config struct {
	Params Params
	// Lazy defers the dummy hash and the seeding of the time floor (two
	// hashes at the configured cost) to the first verification, or to
	// Warm: a CLI command that never checks a password then never pays
	// for them. A server calls Warm before it serves.
	Lazy bool
	// Workers is how many hashes run at once; 0 means runtime.NumCPU().
	Workers int
	// Queue is how many callers may wait for a worker in all; 0 means 64
	// per worker.
	Queue int
	// ClientQueue is how many of them may wait under one QueueKey.Client;
	// 0 means a quarter of Queue (at least 1). It is at most Queue.
	ClientQueue int
	// SourceQueue is how many may wait under one QueueKey (one source of
	// one client); 0 means an eighth of Queue (at least 1). It is at most
	// ClientQueue.
	SourceQueue int
	// FloorWindow is how long the cost of a hash format is remembered
	// after its last verification when computing the time floor; 0 means
	// 24 hours. The configured argon2id parameters are never forgotten.
	FloorWindow time.Duration
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Sleep waits d or until ctx is done, returning ctx's error then; nil
	// means a timer.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Hasher hashes and verifies passwords through a bounded pool with fair
// admission, and makes every verification last at least the time floor. It
// is safe for concurrent use.
type Hasher struct {
	params Params
	dummy  string
	pool   *admission
	floor  *floorStats
	now    func() time.Time
	sleep  func(context.Context, time.Duration) error
	// inWorker, when set (by tests), runs in the worker slot before each
	// hash with the encoded hash about to be verified ("" for Hash).
	inWorker func(ctx context.Context, encoded string)

	// seedOnce computes dummy and seeds the floor (seed); seedErr is its
	// outcome.
	seedOnce sync.Once
	seedErr  error
}

// New returns a Hasher. Unless cfg.Lazy, it computes the dummy hash used
// by VerifyDummy and checks it once to seed the time floor (Warm).
func New(cfg Config) (*Hasher, error) {
	return newHasherHooked(cfg, nil)
}

func newHasherHooked(cfg Config, inWorker func(context.Context, string)) (*Hasher, error) {
	if p := defaultParamsForTests.Load(); p != nil && cfg.Params == OWASP {
		cfg.Params = *p
	}
	if err := cfg.Params.Validate(); err != nil {
		return nil, err
	}
	workers := cfg.Workers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	queue := cfg.Queue
	if queue <= 0 {
		queue = 64 * workers
	}
	clientQueue := cfg.ClientQueue
	if clientQueue <= 0 {
		clientQueue = max(1, queue/4)
	}
	clientQueue = min(clientQueue, queue)
	sourceQueue := cfg.SourceQueue
	if sourceQueue <= 0 {
		sourceQueue = max(1, queue/8)
	}
	sourceQueue = min(sourceQueue, clientQueue)
	window := cfg.FloorWindow
	if window <= 0 {
		window = 24 * time.Hour
	}
	h := &Hasher{
		params:   cfg.Params,
		pool:     newAdmission(workers, queue, clientQueue, sourceQueue),
		floor:    newFloorStats(argon2Class(cfg.Params), window),
		now:      cfg.Now,
		sleep:    cfg.Sleep,
		inWorker: inWorker,
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.sleep == nil {
		h.sleep = sleepContext
	}
	if !cfg.Lazy {
		if err := h.Warm(); err != nil {
			return nil, err
		}
	}
	return h, nil
}

// Warm computes the dummy hash VerifyDummy checks against and seeds the
// time floor with the cost of one check, once; every verification does it
// first if it has not been done. A server calls it before serving, so that
// its first logins cost no more than the others.
func (h *Hasher) Warm() error {
	h.seedOnce.Do(func() { h.seedErr = h.seed() })
	return h.seedErr
}

func (h *Hasher) seed() error {
	dummyPassword := make([]byte, 24)
	if _, err := rand.Read(dummyPassword); err != nil {
		return fmt.Errorf("password: dummy password: %w", err)
	}
	start := h.now()
	dummy, err := h.encodeInWorker(context.Background(), dummyPassword)
	if err != nil {
		return fmt.Errorf("password: dummy hash: %w", err)
	}
	h.dummy = dummy
	// Seed the floor with the cost of the dummy check itself, so that the
	// first unknown-user answers are already as slow as a real check. The
	// faster of two runs is taken: the first run pays for a cold heap, and
	// a seed above the true cost would only slow every login until the
	// average caught up (one below it is harmless: it is the same class).
	mid := h.now()
	if _, _, err := h.verifyInWorker(context.Background(), dummy, dummyPassword); err != nil {
		return fmt.Errorf("password: dummy check: %w", err)
	}
	end := h.now()
	h.floor.observe(argon2Class(h.params), min(mid.Sub(start), end.Sub(mid)), end)
	return nil
}

// Params returns the parameters new hashes are made with.
func (h *Hasher) Params() Params { return h.params }

// Hash returns the encoded argon2id hash of password. It waits for a worker
// under the QueueKey of ctx (see WithQueueKey) and returns ErrBusy when that
// key's share of the queue, or the queue, is full. Hash is not subject to
// the time floor.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	if len(password) > MaxLength {
		return "", fmt.Errorf("password: longer than %d bytes", MaxLength)
	}
	if err := h.pool.acquire(ctx); err != nil {
		return "", err
	}
	defer h.pool.release()
	return h.encodeInWorker(ctx, []byte(password))
}

func (h *Hasher) encodeInWorker(ctx context.Context, password []byte) (string, error) {
	if h.inWorker != nil {
		h.inWorker(ctx, "")
	}
	return h.encodeArgon2(password)
}

func (h *Hasher) encodeArgon2(password []byte) (string, error) {
	p := h.params
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey(password, salt, p.Iterations, p.MemoryKiB, p.Parallelism, p.KeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.MemoryKiB, p.Iterations, p.Parallelism, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Result is the outcome of a verification.
type Result struct {
	// OK is true when the password matches.
	OK bool
	// NeedsRehash is true when the hash matched but is not of the configured
	// algorithm and parameters; the caller should store a fresh Hash.
	NeedsRehash bool
}

// Verify checks password against an encoded hash in the worker pool. Like
// Hash it queues under the QueueKey of ctx and may return ErrBusy.
//
// A verification that ran a hash returns no earlier than the time floor
// after its worker slot was granted (see Delay), so that an argon2id user, an
// imported bcrypt user and an unknown user (VerifyDummy) answer alike. The
// wait happens after the slot is released. An unreadable hash
// (ErrUnknownFormat, ErrMalformed) returns at once, without hashing: follow
// it with VerifyDummy, as for an unknown user.
func (h *Hasher) Verify(ctx context.Context, encoded, password string) (Result, error) {
	if len(password) > MaxLength {
		// Cost the same as a real check so length does not become an oracle.
		return Result{}, h.VerifyDummy(ctx, password[:MaxLength])
	}
	return h.check(ctx, encoded, []byte(password))
}

// VerifyDummy spends the time of one verification against a hash of the
// configured cost, then waits out the time floor like Verify, and always
// fails. Use it for unknown users.
func (h *Hasher) VerifyDummy(ctx context.Context, password string) error {
	if err := h.Warm(); err != nil {
		return err
	}
	if len(password) > MaxLength {
		password = password[:MaxLength]
	}
	_, err := h.check(ctx, h.dummy, []byte(password))
	return err
}

// Delay waits the time floor without hashing and without a worker: a caller
// that refuses a login before checking the password (a locked-out user)
// calls it so that the refusal takes as long as a check. It returns ctx's
// error if ctx ends first.
//
// The floor is the smoothed cost of the slowest hash format verified within
// Config.FloorWindow, and never below that of the configured argon2id
// parameters; see the package documentation for the exact rule.
func (h *Hasher) Delay(ctx context.Context) error {
	if err := h.Warm(); err != nil {
		return err
	}
	start := h.now()
	return h.waitUntil(ctx, start.Add(h.floor.floor(start)))
}

// check verifies in a worker slot, records the cost of the hash format and,
// once the slot is released, waits until the floor has passed since the slot
// was granted. The floor is measured from the grant rather than from the
// call so that time spent queueing, which grows under load, cannot hide the
// difference between a cheap and a costly format.
func (h *Hasher) check(ctx context.Context, encoded string, password []byte) (Result, error) {
	if err := h.Warm(); err != nil {
		return Result{}, err
	}
	if err := h.pool.acquire(ctx); err != nil {
		return Result{}, err
	}
	start := h.now()
	res, class, err := h.verifyInWorker(ctx, encoded, password)
	end := h.now()
	h.pool.release()
	if err != nil {
		return Result{}, err
	}
	h.floor.observe(class, end.Sub(start), end)
	if err := h.waitUntil(ctx, start.Add(h.floor.floor(end))); err != nil {
		return Result{}, err
	}
	return res, nil
}

func (h *Hasher) verifyInWorker(ctx context.Context, encoded string, password []byte) (Result, costClass, error) {
	if h.inWorker != nil {
		h.inWorker(ctx, encoded)
	}
	return h.verify(encoded, password)
}

// waitUntil sleeps until deadline by the Hasher's clock.
func (h *Hasher) waitUntil(ctx context.Context, deadline time.Time) error {
	d := deadline.Sub(h.now())
	if d < minWait {
		return nil
	}
	if err := h.sleep(ctx, d); err != nil {
		return fmt.Errorf("password: waiting out the time floor: %w", err)
	}
	return nil
}

// minWait is the shortest wait for the floor worth sleeping: a timer this
// short fires up to a millisecond late here (measured: a 0.1 ms floor cost
// a cheap-hash password grant 0.9 ms), and a difference this small is
// lost in the hash's own variation and the network's jitter.
const minWait = 250 * time.Microsecond

// verify checks password against encoded and reports the cost class of the
// hash it computed (the dummy's when it fell back to the dummy). It computes
// nothing when it returns an error.
func (h *Hasher) verify(encoded string, password []byte) (Result, costClass, error) {
	switch {
	case strings.HasPrefix(encoded, "$argon2id$"):
		p, salt, key, err := decodeArgon2(encoded)
		if err != nil {
			return Result{}, costClass{}, err
		}
		class := argon2Class(p)
		got := argon2.IDKey(password, salt, p.Iterations, p.MemoryKiB, p.Parallelism, uint32(len(key)))
		if subtle.ConstantTimeCompare(got, key) != 1 {
			return Result{}, class, nil
		}
		want := h.params
		stale := p.MemoryKiB != want.MemoryKiB || p.Iterations != want.Iterations ||
			p.Parallelism != want.Parallelism || uint32(len(key)) != want.KeyLen || uint32(len(salt)) != want.SaltLen
		return Result{OK: true, NeedsRehash: stale}, class, nil
	case strings.HasPrefix(encoded, "$2a$"), strings.HasPrefix(encoded, "$2b$"), strings.HasPrefix(encoded, "$2y$"):
		cost, err := bcrypt.Cost([]byte(encoded))
		if err != nil {
			return Result{}, costClass{}, fmt.Errorf("%w: bcrypt: %v", ErrMalformed, err)
		}
		if cost > MaxBcryptCost {
			// Each step doubles the work: an imported or tampered hash of
			// cost 31 would keep a worker busy for days.
			return Result{}, costClass{}, fmt.Errorf("%w: bcrypt cost %d is above %d", ErrMalformed, cost, MaxBcryptCost)
		}
		if len(password) > 72 {
			// bcrypt reads only 72 bytes; refusing longer input avoids
			// accepting a password that merely shares a 72-byte prefix.
			// The dummy check keeps the answer as slow as a real one.
			_, class, err := h.verify(h.dummy, password[:72])
			return Result{}, class, err
		}
		class := costClass{format: "bcrypt", bcryptCost: cost}
		err = bcrypt.CompareHashAndPassword([]byte(encoded), password)
		switch {
		case err == nil:
			return Result{OK: true, NeedsRehash: true}, class, nil
		case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
			return Result{}, class, nil
		default:
			return Result{}, costClass{}, fmt.Errorf("%w: bcrypt: %v", ErrMalformed, err)
		}
	case isImported(encoded):
		return verifyImported(encoded, password)
	default:
		return Result{}, costClass{}, ErrUnknownFormat
	}
}

// decodeArgon2 parses $argon2id$v=19$m=…,t=…,p=…$salt$key.
func decodeArgon2(encoded string) (Params, []byte, []byte, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return Params{}, nil, nil, ErrMalformed
	}
	var p Params
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return Params{}, nil, nil, ErrMalformed
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return Params{}, nil, nil, ErrMalformed
		}
		switch k {
		case "m":
			p.MemoryKiB = uint32(n)
		case "t":
			p.Iterations = uint32(n)
		case "p":
			if n > 255 {
				return Params{}, nil, nil, ErrMalformed
			}
			p.Parallelism = uint8(n)
		default:
			return Params{}, nil, nil, ErrMalformed
		}
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return Params{}, nil, nil, ErrMalformed
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil || len(key) < 16 || len(key) > 128 {
		return Params{}, nil, nil, ErrMalformed
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	// Refuse absurd costs from an imported or tampered hash: they would let
	// one login exhaust memory or CPU.
	if p.Validate() != nil || p.MemoryKiB > 1<<21 || p.Iterations > 64 {
		return Params{}, nil, nil, ErrMalformed
	}
	return p, salt, key, nil
}

// defaultParamsForTests, when set, replaces OWASP in the Config of every
// Hasher made from then on: see SetDefaultParamsForTests.
var defaultParamsForTests atomic.Pointer[Params]

// SetDefaultParamsForTests makes every Hasher made from now on in this
// process whose Config asks for the production parameters (OWASP, the
// configuration's default) hash with p instead; a Config with other
// parameters keeps them. It is for test binaries only: a hash at OWASP's
// cost under the race detector was most of the CPU time of the command's
// tests. The server never calls it.
func SetDefaultParamsForTests(p Params) { defaultParamsForTests.Store(&p) }
