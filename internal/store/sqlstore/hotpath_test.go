package sqlstore_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/store/postgres"
	"github.com/latchkey/latchkey/internal/store/postgres/pgtest"
	"github.com/latchkey/latchkey/internal/store/sqlstore"
)

var pg *pgtest.Server

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, &pg)) }

// TestHotPathUsesIndexes: at a million users, no hot-path statement scans
// a whole table on PostgreSQL. Each statement is the store's own text,
// EXPLAINed with its arguments after the tables are filled and ANALYZEd,
// as autovacuum would have done.
func TestHotPathUsesIndexes(t *testing.T) {
	if testing.Short() {
		t.Skip("fills a database with a million users")
	}
	ctx := t.Context()
	dsn := pg.NewDatabase(t)
	s, err := postgres.Open(ctx, dsn, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	start := time.Now()
	fill(ctx, t, db)
	t.Logf("filled in %v", time.Since(start).Round(time.Millisecond))

	// The check can fail: a lookup by an unindexed column scans.
	var plan string
	if err := db.QueryRowContext(ctx, `EXPLAIN (FORMAT JSON) SELECT id FROM users WHERE email = $1`, "a@example.com").Scan(&plan); err != nil {
		t.Fatal(err)
	}
	if len(seqScans(t, plan)) == 0 {
		t.Fatalf("a lookup by email shows no sequential scan: the plan check is blind\n%s", plan)
	}

	for _, st := range sqlstore.HotPathStatements(postgres.Dialect()) {
		var plan string
		if err := db.QueryRowContext(ctx, `EXPLAIN (FORMAT JSON) `+st.SQL, st.Args...).Scan(&plan); err != nil {
			t.Errorf("%s: EXPLAIN: %v", st.Name, err)
			continue
		}
		if scans := seqScans(t, plan); len(scans) > 0 {
			t.Errorf("%s: sequential scan of %s:\n%s", st.Name, strings.Join(scans, ", "), plan)
		}
	}
}

// fill writes a million users and, around them, the rows the hot paths
// read: clients, refresh tokens in families, token records, single-use
// ids, login counters and group memberships.
func fill(ctx context.Context, t *testing.T, db *sql.DB) {
	t.Helper()
	for _, q := range []string{
		`INSERT INTO users (id, status, login, login_key, email, email_verified, first_name, last_name, locale,
			zone_info, password_hash, password_changed_at, created_at, updated_at, last_login_at, tokens_valid_after)
		SELECT '00u' || i, 'ACTIVE', 'user' || i || '@example.com', 'user' || i || '@example.com',
			'user' || i || '@example.com', true, 'First', 'Last', 'en-US', 'UTC', '$argon2id$hash', 1, 1, 1, 0, 0
		FROM generate_series(1, 1000000) AS i`,
		`INSERT INTO clients (id, name, token_endpoint_auth_method, grant_types, status, created_at, updated_at)
		SELECT '0oa' || i, 'app ' || i, 'client_secret_basic', '["password"]', 'ACTIVE', 1, 1
		FROM generate_series(1, 10000) AS i`,
		`INSERT INTO client_secrets (id, client_id, status, hash, sealed, created_at, updated_at)
		SELECT 'ocs' || i, '0oa' || (i / 2), 'ACTIVE', 'hash', ''::bytea, i, i
		FROM generate_series(1, 20000) AS i`,
		`INSERT INTO refresh_tokens (id, family_id, auth_server_id, client_id, user_id, scopes, auth_time, issued_at,
			expires_at, idle_window, last_used_at, rotated_at, replaced_by, revoked_at)
		SELECT 'rt' || i, 'fam' || (i / 2), 'default', '0oa' || (i % 10000), '00u' || i, '["openid"]', 1, i,
			0, 0, 0, 0, '', 0
		FROM generate_series(1, 200000) AS i`,
		`INSERT INTO token_records (jti, family_id, client_id, expires_at, revoked_at, refresh_id)
		SELECT 'jti' || i, 'fam' || (i / 2), '0oa1', 2000000000000, 0, 'rt' || i
		FROM generate_series(1, 200000) AS i`,
		`INSERT INTO single_use (id, expires_at) SELECT 'jwt-id-' || i, 2000000000000 FROM generate_series(1, 200000) AS i`,
		`INSERT INTO login_counters (login_key, source, failures, locked_until, last_success_at, updated_at)
		SELECT 'user' || i || '@example.com', '', 1, 0, 0, 1 FROM generate_series(1, 200000) AS i`,
		`INSERT INTO user_groups (id, name, name_key, description, type, created_at, updated_at)
		SELECT '00g' || i, 'group ' || i, 'group ' || i, '', 'OKTA_GROUP', 1, 1 FROM generate_series(1, 100000) AS i`,
		`INSERT INTO group_members (group_id, user_id) SELECT '00g' || (i % 100000), '00u' || i FROM generate_series(1, 1000000) AS i`,
		`ANALYZE`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%v\n%s", err, q)
		}
	}
}

// seqScans lists the tables a JSON plan scans sequentially.
func seqScans(t *testing.T, plan string) []string {
	t.Helper()
	var doc []struct{ Plan node }
	if err := json.Unmarshal([]byte(plan), &doc); err != nil {
		t.Fatalf("plan: %v\n%s", err, plan)
	}
	var out []string
	var walk func(n node)
	walk = func(n node) {
		if n.NodeType == "Seq Scan" {
			out = append(out, n.Relation)
		}
		for _, c := range n.Plans {
			walk(c)
		}
	}
	for _, d := range doc {
		walk(d.Plan)
	}
	return out
}

// node is a node of an EXPLAIN (FORMAT JSON) plan.
type node struct {
	NodeType string `json:"Node Type"`
	Relation string `json:"Relation Name"`
	Plans    []node `json:"Plans"`
}
