// Package sqlstore implements store.Store over database/sql with hand-written,
// portable SQL: $N placeholders, ON CONFLICT and no engine-specific functions,
// so the same statements run on SQLite (modernc.org/sqlite) and PostgreSQL
// (pgx's database/sql driver). A backend package opens the database, applies
// its own migrations and hands the pools to New with a Dialect that says what
// differs between engines.
//
// Schema contract (each backend's migrations must provide it):
//
//   - auth_servers, clients, users, signing_keys, refresh_tokens,
//     token_records, single_use, scopes, claims, policies, policy_rules,
//     user_groups, group_members, client_assignments, events and
//     event_targets, with the columns named in the statements of this
//     package and the primary keys that the ON CONFLICT clauses name; ids and names are text that compares
//     byte-wise (on PostgreSQL declare them COLLATE "C" so that paging and
//     ordering agree with SQLite); booleans are BOOLEAN (INTEGER 0/1 on
//     SQLite);
//   - times are BIGINT unix milliseconds UTC, with 0 for the zero time (so a
//     time at exactly the Unix epoch reads back as the zero time); durations
//     are BIGINT milliseconds (truncated);
//   - list-valued fields (clients.grant_types, …) are JSON text; signing key
//     material, sealed secrets and JWKS are BLOB/BYTEA;
//   - users.login_key holds strings.ToLower(login) under a UNIQUE index, which
//     makes logins unique case-insensitively; user_groups.name_key does the
//     same for group names;
//   - token_records.refresh_id names the refresh token an access token went
//     out with (empty outside families), indexed: replacing that refresh token
//     revokes the records that name it;
//   - signing_key_locks(auth_server_id text primary key) is a lock table:
//     UpdateKeys upserts its row first, which serializes rotations of one
//     authorization server on PostgreSQL even before it has any key.
//
// Semantics beyond the store.Store comments:
//
//   - Update* closures cannot change the id: the record is always written
//     back under the id it was read with, and UpdateKeys pins every returned
//     key to the authorization server it was called for.
//   - UpdateKeys leaves keys that fn omits unchanged (it never deletes) and
//     returns every key of the authorization server after the update, newest
//     first.
//   - UseRefreshToken pins the token's id and family, and puts a successor
//     (and the access token record) into the token's family whatever
//     FamilyID the closure gave it; a successor also pins the token's
//     ReplacedBy, and its RotatedAt when the closure left it zero. It locks
//     the token's row, then its successor's (always in that order along a
//     chain); RevokeFamily locks the family's rows before changing them,
//     and RecordToken the row of the record's refresh token before reading
//     whether it is revoked, so these serialize on PostgreSQL too.
//   - Expiry: a record with expiry E is expired at any time >= E (as a JWT's
//     exp). DeleteExpired removes refresh tokens past ExpiresAt (when set) or
//     past IdleWindow (when positive) after the later of LastUsedAt and
//     IssuedAt, token records past ExpiresAt (when set), and single-use keys.
//     UseOnce judges a recorded key's expiry by this process's clock and
//     refuses a zero expiry; UsedOnce judges it the same way.
//   - RevokeFamily keeps the first revocation time of records revoked before.
//   - Delete* of a record that does not exist is store.ErrNotFound; a
//     System scope and a built-in group cannot be deleted (ErrConflict).
//   - Put* replace every field of an existing record, CreatedAt included.
//     PutRule needs the rule's policy on the rule's authorization server;
//     AddGroupMember needs the group and the user (and refuses a built-in
//     group, whose members are implicit); AssignClient needs the client and
//     a user or group with the principal's id. Those checks and the write
//     run in one transaction that locks what was checked, as do
//     DeletePolicy with its rules and DeleteGroup with its memberships and
//     assignments, so no rule, membership or assignment outlives its
//     policy or group.
//   - Returned times are in UTC, truncated to milliseconds; empty lists and
//     byte slices read back as nil.
package sqlstore
