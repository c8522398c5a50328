package provision

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"runtime"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/userimport"
)

// ImportOptions tune ImportUsers.
type ImportOptions struct {
	// Update overwrites the profile and password of a user whose login
	// exists; otherwise such a user is skipped.
	Update bool
	// BatchSize is how many users go to the store in one transaction; 0
	// means 1000.
	BatchSize int
	// Problem, when set, is called with each line that failed, as soon as
	// it is known.
	Problem func(*userimport.LineError)
	// Progress, when set, is called after each batch with the counts so far.
	Progress func(ImportSummary)
}

// ImportSummary counts what ImportUsers did, line by line.
type ImportSummary struct {
	Imported int // new users
	Updated  int // existing users overwritten (ImportOptions.Update)
	Skipped  int // existing users left alone
	Failed   int // lines that could not be imported, each reported
}

// Lines is how many lines were processed.
func (s ImportSummary) Lines() int { return s.Imported + s.Updated + s.Skipped + s.Failed }

// importStatuses are the statuses an import may give a user; LOCKED_OUT is
// imported as ACTIVE (only the login guard locks, with its counts).
var importStatuses = []string{store.UserStaged, store.UserProvisioned, store.UserActive, store.UserRecovery,
	store.UserPasswordExpired, store.UserSuspended, store.UserDeprovisioned}

// ImportUsers reads users from r and stores them in batches of one
// transaction each. An imported hash is stored as it is (it was converted,
// not recomputed, by package userimport); a plaintext password is checked
// against the password policy and hashed with the configured argon2id,
// on as many workers as the Hasher has. A line that cannot be imported (bad
// shape, unknown algorithm, a login repeated in the file, an unknown group,
// a password the policy refuses) is reported through opt.Problem and
// counted, and the other lines go on. A user whose login exists is skipped,
// or overwritten with opt.Update, so that running the same import twice
// changes nothing. Imports record no events.
//
// The error is for what stops the import: the input or the store failing.
// The summary counts what was done until then.
func (s *Service) ImportUsers(ctx context.Context, r userimport.Reader, opt ImportOptions) (ImportSummary, error) {
	im := importer{s: s, opt: opt, seen: map[string]int{}, groups: map[string]bool{}}
	if im.opt.BatchSize <= 0 {
		im.opt.BatchSize = 1000
	}
	for {
		rec, err := r.Next()
		var le *userimport.LineError
		switch {
		case errors.Is(err, io.EOF):
			return im.sum, im.flush(ctx)
		case errors.As(err, &le):
			im.fail(le)
			continue
		case err != nil:
			if ferr := im.flush(ctx); ferr != nil {
				return im.sum, ferr
			}
			return im.sum, fmt.Errorf("provision: import: %w", err)
		}
		if le := im.check(ctx, &rec); le != nil {
			im.fail(le)
			continue
		}
		im.batch = append(im.batch, rec)
		if len(im.batch) >= im.opt.BatchSize {
			if err := im.flush(ctx); err != nil {
				return im.sum, err
			}
		}
	}
}

type importer struct {
	s      *Service
	opt    ImportOptions
	sum    ImportSummary
	seen   map[string]int  // login key → the line that had it first
	groups map[string]bool // group id → exists
	batch  []userimport.Record
}

func (im *importer) fail(le *userimport.LineError) {
	im.sum.Failed++
	if im.opt.Problem != nil {
		im.opt.Problem(le)
	}
}

func refused(rec userimport.Record, format string, args ...any) *userimport.LineError {
	return &userimport.LineError{Line: rec.Line, Login: rec.Login, Reason: fmt.Sprintf(format, args...)}
}

// check validates a record as CreateUser would, and what only an import
// can get wrong: a login repeated in the file, a group that does not exist.
func (im *importer) check(ctx context.Context, rec *userimport.Record) *userimport.LineError {
	for name, v := range map[string]string{"login": rec.Login, "email": rec.Email, "firstName": rec.FirstName,
		"lastName": rec.LastName, "locale": rec.Locale, "zoneInfo": rec.ZoneInfo} {
		if utf8.RuneCountInString(v) > MaxProfileLength || !utf8.ValidString(v) || strings.ContainsAny(v, "\x00\r\n") {
			return refused(*rec, "%s must be valid text of at most %d characters", name, MaxProfileLength)
		}
	}
	if err := CheckLogin(rec.Login); err != nil {
		return refused(*rec, "%v", err)
	}
	if rec.Email != "" {
		if a, err := mail.ParseAddress(rec.Email); err != nil || a.Address != rec.Email {
			return refused(*rec, "email is not an email address")
		}
	}
	switch {
	case rec.Status == "":
		rec.Status = store.UserActive
	case rec.Status == store.UserLockedOut:
		rec.Status = store.UserActive
	case !slices.Contains(importStatuses, rec.Status):
		return refused(*rec, "unknown status %q", rec.Status)
	}
	key := store.NormalizeLogin(rec.Login)
	if first, dup := im.seen[key]; dup {
		return refused(*rec, "duplicate login: line %d has it already", first)
	}
	for _, g := range rec.GroupIDs {
		ok, known := im.groups[g]
		if !known {
			_, err := im.s.Store.GetGroup(ctx, g)
			ok = err == nil
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return refused(*rec, "group %q: %v", g, err)
			}
			im.groups[g] = ok
		}
		if !ok {
			return refused(*rec, "no group with id %q", g)
		}
	}
	im.seen[key] = rec.Line
	return nil
}

// flush hashes the batch's plaintext passwords, then stores the batch.
func (im *importer) flush(ctx context.Context) error {
	batch := im.batch
	im.batch = im.batch[:0]
	if len(batch) == 0 {
		return nil
	}
	hashes, problems := im.hashPlaintext(ctx, batch)
	now := im.s.now()
	users := make([]store.User, 0, len(batch))
	recs := make([]userimport.Record, 0, len(batch))
	for i, rec := range batch {
		if problems[i] != nil {
			im.fail(problems[i])
			continue
		}
		h := rec.Hash
		if rec.Password != "" {
			h = hashes[i]
		}
		u := store.User{ID: ids.New(ids.User), Status: rec.Status, Login: rec.Login, Email: rec.Email,
			FirstName: rec.FirstName, LastName: rec.LastName, Locale: rec.Locale, ZoneInfo: rec.ZoneInfo,
			PasswordHash: h, CreatedAt: now, UpdatedAt: now}
		if h != "" {
			u.PasswordChangedAt = now
		}
		if rec.Status != store.UserStaged && rec.Status != store.UserDeprovisioned {
			u.ActivatedAt, u.StatusChangedAt = now, now // as CreateUser
		}
		users, recs = append(users, u), append(recs, rec)
	}
	out, err := im.s.Store.PutUsers(ctx, users, im.opt.Update)
	if err != nil {
		// Find the user at fault one by one, so that no good line is lost.
		out = make([]store.PutOutcome, len(users))
		for i, u := range users {
			o, err := im.s.Store.PutUsers(ctx, []store.User{u}, im.opt.Update)
			switch {
			case errors.Is(err, store.ErrConflict):
				out[i].Result = "conflict"
			case err != nil:
				return fmt.Errorf("provision: import: %w", err)
			default:
				out[i] = o[0]
			}
		}
	}
	for i, o := range out {
		switch o.Result {
		case store.PutCreated:
			im.sum.Imported++
		case store.PutUpdated:
			im.sum.Updated++
		case store.PutSkipped:
			im.sum.Skipped++
			continue
		default:
			im.fail(refused(recs[i], "conflicts with a stored user"))
			continue
		}
		for _, g := range recs[i].GroupIDs {
			if err := im.s.Store.AddGroupMember(ctx, g, o.ID); err != nil {
				return fmt.Errorf("provision: import: line %d: add to group %q: %w", recs[i].Line, g, err)
			}
		}
	}
	if im.opt.Progress != nil {
		im.opt.Progress(im.sum)
	}
	return nil
}

// hashPlaintext checks and hashes the batch's plaintext passwords on as
// many goroutines as there are processors (the Hasher's pool bounds the
// actual work), returning the hashes and the lines refused, by index.
func (im *importer) hashPlaintext(ctx context.Context, batch []userimport.Record) ([]string, []*userimport.LineError) {
	hashes := make([]string, len(batch))
	problems := make([]*userimport.LineError, len(batch))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, rec := range batch {
		if rec.Password == "" {
			continue
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			u := store.User{Login: rec.Login, FirstName: rec.FirstName, LastName: rec.LastName}
			if err := im.s.checkNewPassword(ctx, u, rec.Password); err != nil {
				problems[i] = refused(rec, "%v", err)
				return
			}
			h, err := im.s.Hasher.Hash(ctx, rec.Password)
			if err != nil {
				problems[i] = refused(rec, "hash the password: %v", err)
				return
			}
			hashes[i] = h
		})
	}
	wg.Wait()
	return hashes, problems
}
