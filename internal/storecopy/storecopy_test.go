package storecopy_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/provision"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/store/postgres/pgtest"
	"github.com/latchkey/latchkey/internal/storecopy"
)

var pg *pgtest.Server

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, &pg)) }

const baseURL = "http://latchkey.test"

// source is a deployment on SQLite made by a real app: the defaults, a
// confidential client, a client_secret_jwt client (sealed secret), a user
// whose password changed, a group, memberships, an assignment, a failed
// and a good login (counters, audit events), a rotated refresh token and
// a single-use id.
type source struct {
	cfg                    config.Config
	clientID, secret       string
	access, refresh, older string
}

func newConfig(t *testing.T, dir, db string) config.Config {
	t.Helper()
	cfg := config.Default()
	cfg.DB = db
	cfg.BaseURL = baseURL
	cfg.MasterKeyFile = filepath.Join(dir, "master.key")
	cfg.Password.MemoryKiB, cfg.Password.Iterations = 64, 1
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func openApp(t *testing.T, cfg config.Config) *app.App {
	t.Helper()
	a, err := app.Open(context.Background(), cfg, app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Bootstrap(context.Background()); err != nil {
		t.Fatal(err)
	}
	return a
}

func populate(t *testing.T) source {
	t.Helper()
	dir := t.TempDir()
	if _, err := keys.CreateMasterKeyFile(filepath.Join(dir, "master.key")); err != nil {
		t.Fatal(err)
	}
	src := source{cfg: newConfig(t, dir, filepath.Join(dir, "source.db"))}
	a := openApp(t, src.cfg)
	defer a.Close()
	ctx := context.Background()
	p := a.Provision
	c, secret, err := p.CreateClient(ctx, provision.ClientInput{Name: "app", GrantTypes: []string{"password", "refresh_token"}})
	must(t, err)
	src.clientID, src.secret = c.ID, secret
	_, _, err = p.CreateClient(ctx, provision.ClientInput{Name: "jwt app", AuthMethod: "client_secret_jwt",
		Secret: strings.Repeat("0123456789abcdef", 4)})
	must(t, err)
	u, err := p.CreateUser(ctx, provision.UserInput{Login: "ada@example.com", Email: "ada@example.com", Password: "first password here"})
	must(t, err)
	_, err = p.SetPassword(ctx, u.ID, "correct horse battery")
	must(t, err)
	g, err := p.CreateGroup(ctx, "engineers", "")
	must(t, err)
	must(t, a.Store.AddGroupMember(ctx, g.ID, u.ID))
	must(t, a.Store.AssignClient(ctx, c.ID, g.ID))
	must(t, a.Store.UseOnce(ctx, "assertion-jti", time.Now().Add(time.Hour)))
	_, err = p.CreateAuthServer(ctx, provision.AuthServerInput{Name: "edge", Audience: "api://edge", SigningAlg: store.AlgEdDSA})
	must(t, err)
	now := time.Now().UTC().Truncate(time.Millisecond)
	_, err = a.Store.UpdateFactors(ctx, u.ID, func([]store.Factor) ([]store.Factor, error) {
		return []store.Factor{{ID: "uftada", UserID: u.ID, Type: store.FactorTOTP, Provider: store.ProviderOkta, Status: store.FactorActive,
			Sealed: []byte("sealed"), LastStep: 1, RecoveryCodes: []string{"h1"}, CreatedAt: now, UpdatedAt: now}}, nil
	})
	must(t, err)
	// A family from an MFA login: its amr must survive the copy.
	must(t, a.Store.CreateRefreshToken(ctx, store.RefreshToken{ID: "rt-mfa", FamilyID: "rt-mfa", AuthServerID: "default", ClientID: c.ID,
		UserID: u.ID, Scopes: []string{"openid", "offline_access"}, AuthTime: now, IssuedAt: now, IdleWindow: time.Hour,
		AMR: []string{"pwd", "otp", "mfa"}}))
	must(t, a.Store.CreateClientGrant(ctx, store.ClientGrant{ID: "oagusers", ClientID: c.ID, ScopeID: "okta.users.read",
		Issuer: "https://id.example.com", Source: "ADMIN", CreatedAt: now, UpdatedAt: now}))
	must(t, a.Store.CreateAPIToken(ctx, store.APIToken{ID: "00Tterraform", Name: "terraform", TokenHash: "hmac-sha256$v1$x",
		ClientName: "Latchkey CLI", CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(time.Hour)}))
	must(t, a.Store.PutScope(ctx, store.Scope{AuthServerID: "default", Name: "api:read", MetadataPublish: "ALL_CLIENTS", CreatedAt: now}))
	must(t, a.Store.PutClaim(ctx, store.Claim{ID: "oclgroups", AuthServerID: "default", Name: "groups", ClaimType: store.ClaimIdentity,
		ValueType: store.ClaimGroups, Value: "eng", GroupFilterType: "STARTS_WITH", Status: store.StatusActive, CreatedAt: now, UpdatedAt: now}))

	if r := post(t, a, "token", src.clientID, src.secret, "grant_type=password&username=ada%40example.com&password=wrong&scope=openid"); r["error"] == nil {
		t.Fatalf("a wrong password got %v", r)
	}
	r := post(t, a, "token", src.clientID, src.secret,
		"grant_type=password&username=ada%40example.com&password=correct+horse+battery&scope=openid+offline_access")
	first, ok := r["refresh_token"].(string)
	if !ok {
		t.Fatalf("password grant: %v", r)
	}
	r = post(t, a, "token", src.clientID, src.secret, "grant_type=refresh_token&refresh_token="+first)
	src.access, src.refresh, src.older = str(r["access_token"]), str(r["refresh_token"]), first
	if src.access == "" || src.refresh == "" || src.refresh == first {
		t.Fatalf("refresh on the source: %v", r)
	}
	return src
}

func str(v any) string { s, _ := v.(string); return s }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// post sends a form to an endpoint of the default server with the
// client's credentials and decodes the JSON answer.
func post(t *testing.T, a *app.App, endpoint, id, secret, form string) map[string]any {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, baseURL+"/oauth2/default/v1/"+endpoint, strings.NewReader(form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, secret)
	req.RemoteAddr = "192.0.2.1:4000"
	w := httptest.NewRecorder()
	a.Handler.ServeHTTP(w, req)
	var out map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
		t.Fatalf("%s: %d %q", endpoint, w.Code, w.Body)
	}
	return out
}

func openStore(t *testing.T, dsn string) store.Store {
	t.Helper()
	s, err := app.OpenStore(context.Background(), dsn, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// targets are the stores a copy goes into: a second SQLite file and a
// PostgreSQL database.
var targets = []struct {
	name string
	dsn  func(t *testing.T) string
}{
	{"SQLite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "target.db") }},
	{"PostgreSQL", func(t *testing.T) string { return pg.NewDatabase(t) }},
}

// TestCopyKeepsEverything: every record of every kind is in the target
// as it was in the source, and the source's tokens work on an app opened
// over the target with the same master key.
func TestCopyKeepsEverything(t *testing.T) {
	for _, tc := range targets {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := populate(t)
			from := openStore(t, src.cfg.DB)
			dsn := tc.dsn(t)
			to := openStore(t, dsn)
			rep, err := storecopy.Copy(context.Background(), from, to)
			if err != nil {
				t.Fatalf("Copy: %v", err)
			}
			t.Logf("copied:\n%s", rep)
			for _, k := range rep.Kinds {
				if k.Count == 0 {
					t.Errorf("no %s copied; the source has some", k.Kind)
				}
			}
			want, got := dump(t, from), dump(t, to)
			if !slices.ContainsFunc(got["servers"].([]store.AuthServer), func(a store.AuthServer) bool { return a.SigningAlg == store.AlgEdDSA }) {
				t.Errorf("the EdDSA server's signing algorithm was not copied: %+v", got["servers"])
			}
			for kind, v := range want {
				if strings.HasPrefix(kind, "history ") && reflect.ValueOf(v).Len() == 0 {
					t.Errorf("the source has no %s", kind)
				}
			}
			for kind := range want {
				if !reflect.DeepEqual(got[kind], want[kind]) {
					t.Errorf("%s differ after the copy:\n got %+v\nwant %+v", kind, got[kind], want[kind])
				}
			}
			to.Close()

			cfg := src.cfg
			cfg.DB = dsn
			a := openApp(t, cfg)
			defer a.Close()
			if r := post(t, a, "introspect", src.clientID, src.secret, "token="+src.access); r["active"] != true {
				t.Errorf("the source's access token on the target: %v", r)
			}
			if r := post(t, a, "introspect", src.clientID, src.secret, "token="+src.refresh+"&token_type_hint=refresh_token"); r["active"] != true {
				t.Errorf("the source's refresh token on the target: %v", r)
			}
			r := post(t, a, "token", src.clientID, src.secret, "grant_type=refresh_token&refresh_token="+src.refresh)
			if str(r["access_token"]) == "" || str(r["refresh_token"]) == "" {
				t.Fatalf("refresh on the target: %v", r)
			}
			if r := post(t, a, "introspect", src.clientID, src.secret, "token="+str(r["access_token"])); r["active"] != true {
				t.Errorf("an access token the target issued: %v", r)
			}
			// The family's rotation state came along: the token rotated on
			// the source is not a current token on the target.
			if r := post(t, a, "introspect", src.clientID, src.secret, "token="+src.older+"&token_type_hint=refresh_token"); r["active"] != false {
				t.Errorf("the rotated refresh token on the target: %v", r)
			}
		})
	}
}

// TestRefusesNonEmptyTarget: nothing is written into a store that holds
// records already.
func TestRefusesNonEmptyTarget(t *testing.T) {
	t.Parallel()
	src := populate(t)
	from := openStore(t, src.cfg.DB)
	to := openStore(t, filepath.Join(t.TempDir(), "target.db"))
	must(t, to.CreateGroup(context.Background(), store.Group{ID: "00gother", Name: "other", Type: store.GroupOkta}))
	_, err := storecopy.Copy(context.Background(), from, to)
	if !errors.Is(err, storecopy.ErrNotEmpty) || !strings.Contains(err.Error(), "groups") {
		t.Fatalf("Copy into a store with a group: %v, want ErrNotEmpty naming groups", err)
	}
	if users, _ := to.ListUsers(context.Background(), store.Page{}); len(users) != 0 {
		t.Errorf("the refused copy wrote %d users", len(users))
	}
}

// TestVerifyFindsADifference: Verify fails on stores that differ in one
// record, and names the kind.
func TestVerifyFindsADifference(t *testing.T) {
	t.Parallel()
	src := populate(t)
	from := openStore(t, src.cfg.DB)
	to := openStore(t, filepath.Join(t.TempDir(), "target.db"))
	if _, err := storecopy.Copy(context.Background(), from, to); err != nil {
		t.Fatal(err)
	}
	_, err := to.UpdateClient(context.Background(), src.clientID, func(c store.Client) (store.Client, error) {
		c.Name = "renamed"
		return c, nil
	})
	must(t, err)
	if _, err := storecopy.Verify(context.Background(), from, to); err == nil || !strings.Contains(err.Error(), "clients") {
		t.Fatalf("Verify after a change: %v, want an error naming clients", err)
	}
}

// dump reads every record of s with plain store calls, by kind.
func dump(t *testing.T, s store.Store) map[string]any {
	t.Helper()
	ctx := context.Background()
	d := map[string]any{}
	get := func(kind string, v any, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("dump %s: %v", kind, err)
		}
		d[kind] = v
	}
	servers, err := s.ListAuthServers(ctx)
	get("servers", servers, err)
	for _, a := range servers {
		v, err := s.ListKeys(ctx, a.ID)
		get("keys "+a.ID, v, err)
		sc, err := s.ListScopes(ctx, a.ID)
		get("scopes "+a.ID, sc, err)
		cl, err := s.ListClaims(ctx, a.ID)
		get("claims "+a.ID, cl, err)
		pols, err := s.ListPolicies(ctx, a.ID)
		get("policies "+a.ID, pols, err)
		for _, p := range pols {
			r, err := s.ListRules(ctx, p.ID)
			get("rules "+p.ID, r, err)
		}
	}
	groups, err := s.ListGroups(ctx, store.Page{})
	get("groups", groups, err)
	for _, g := range groups {
		m, err := s.ListGroupMembers(ctx, g.ID, store.Page{})
		get("members "+g.ID, m, err)
	}
	users, err := s.ListUsers(ctx, store.Page{})
	get("users", users, err)
	for _, u := range users {
		h, err := s.ListPasswordChanges(ctx, u.ID)
		get("history "+u.ID, h, err)
		f, err := s.ListFactors(ctx, u.ID)
		get("factors "+u.ID, f, err)
		lc, err := s.ListLoginCounters(ctx, store.NormalizeLogin(u.Login))
		get("counters "+u.Login, lc, err)
	}
	clients, err := s.ListClients(ctx, store.Page{})
	get("clients", clients, err)
	for _, c := range clients {
		a, err := s.ListClientAssignments(ctx, c.ID)
		get("assignments "+c.ID, a, err)
		g, err := s.ListClientGrants(ctx, c.ID)
		get("grants "+c.ID, g, err)
		cs, err := s.ListClientSecrets(ctx, c.ID)
		get("secrets "+c.ID, cs, err)
	}
	toks, err := s.ListAPITokens(ctx, store.Page{})
	get("API tokens", toks, err)
	rts, err := s.ListRefreshTokens(ctx, store.Page{})
	get("refresh tokens", rts, err)
	recs, err := s.ListTokenRecords(ctx, store.Page{})
	get("token records", recs, err)
	once, err := s.ListSingleUse(ctx, store.Page{})
	get("single use", once, err)
	names, err := s.ListMetaNames(ctx)
	get("meta names", names, err)
	for _, n := range names {
		v, err := s.GetMeta(ctx, n)
		get("meta "+n, v, err)
	}
	evs, err := s.ListEvents(ctx, store.EventFilter{Limit: 10000})
	get("events", evs, err)
	return d
}
