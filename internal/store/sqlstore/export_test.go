package sqlstore

// HotPathStatement is a statement the token endpoint, introspection or
// revocation runs on every request, with arguments that make it valid.
type HotPathStatement struct {
	Name string
	SQL  string
	Args []any
}

// HotPathStatements are the exact statements Store issues on the hot
// paths, locking ones with d's ForUpdate as Store runs them.
func HotPathStatements(d Dialect) []HotPathStatement {
	return []HotPathStatement{
		{"user by login", userByLoginSQL, []any{"user500000@example.com"}},
		{"user by id", userByIDSQL, []any{"00u500000"}},
		{"client by id", clientByIDSQL, []any{"0oa5000"}},
		{"client secrets", clientSecretsSQL, []any{"0oa5000"}},
		{"refresh token by id", refreshByIDSQL, []any{"rt50000"}},
		{"refresh token by id, locked", refreshByIDSQL + d.ForUpdate, []any{"rt50000"}},
		{"family tokens, locked", familyTokensSQL + d.ForUpdate, []any{"fam25000"}},
		{"revoke family refresh tokens", revokeFamilySQL, []any{"fam25000", int64(1)}},
		{"revoke family token records", revokeFamilyRecSQL, []any{"fam25000", int64(1)}},
		{"token record by jti", tokenRecordByJTISQL, []any{"jti50000"}},
		{"single-use id", useOnceSQL, []any{"jwt-id-50000", int64(2), int64(1)}},
		{"login counters, locked", loginCountersSQL + d.ForUpdate, []any{"user500000@example.com", "", "192.0.2.1"}},
		{"groups of a user", userGroupsSQL, []any{"00u500000"}},
		// The write path of a refresh token's use and of the login counters.
		{"update refresh token", updateRefreshSQL, []any{"rt50000", "fam25000", "default", "0oa5000", "00u500000",
			`["openid"]`, int64(1), int64(1), int64(2), int64(0), int64(1), int64(1), "rt50001", int64(0)}},
		{"revoke replaced successor", revokeSuccessorSQL, []any{"rt50000", int64(1)}},
		{"revoke replaced successor's records", revokeSuccessorRecSQL, []any{"rt50000", int64(1)}},
		{"refresh revocation, locked", refreshRevokedSQL + d.ForUpdate, []any{"rt50000"}},
		{"update login counter", updateLoginCounterSQL, []any{"user500000@example.com", "", 1, int64(0), int64(0), int64(1)}},
	}
}
