package sqlite

// FilePath returns the database file a DSN names: the path itself, or the
// path of a "file:" URI. An in-memory DSN is an error, as for Open.
func FilePath(dsn string) (string, error) {
	d, err := parseDSN(dsn)
	if err != nil {
		return "", err
	}
	return d.path, nil
}
