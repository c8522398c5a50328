package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"testing"

	"github.com/latchkey/latchkey/internal/provision"
	"github.com/latchkey/latchkey/internal/userimport"
)

// importBenchUsers is how many users BenchmarkImportUsers imports per run.
const importBenchUsers = 100_000

// importBenchFile is importBenchUsers JSON lines of users with salted
// SHA-256 or bcrypt hashes (pre-hashed: the import converts, it does not
// hash), about 300 bytes a line like an export from Okta.
func importBenchFile(tb testing.TB, alg string) []byte {
	tb.Helper()
	var buf bytes.Buffer
	salt := base64.StdEncoding.EncodeToString([]byte("sixteen byte salt"))
	for i := range importBenchUsers {
		login := fmt.Sprintf("user%06d@example.com", i)
		var hash string
		switch alg {
		case "SHA-256":
			d := sha256.Sum256([]byte("salt" + login))
			hash = fmt.Sprintf(`{"algorithm":"SHA-256","salt":%q,"saltOrder":"PREFIX","value":%q}`, salt, base64.StdEncoding.EncodeToString(d[:]))
		case "BCRYPT":
			hash = `{"algorithm":"BCRYPT","workFactor":10,"salt":"If6bvum7DFjUnE9p2uDeDu","value":"0YHzrHM6tf.iqN8.yx.jNN1ILEf7h0i"}`
		}
		fmt.Fprintf(&buf, `{"profile":{"login":%q,"email":%q,"firstName":"User","lastName":"Number %d"},"credentials":{"password":{"hash":%s}}}`+"\n",
			login, login, i, hash)
	}
	return buf.Bytes()
}

// BenchmarkImportUsers imports 100,000 pre-hashed users into a new SQLite
// database per run, the way `latchkey import users` does (the reader, the
// checks, batches of 1,000 through PutUsers). One op is the whole file.
//
//	go test ./internal/e2e -run '^$' -bench ImportUsers -benchtime 3x
func BenchmarkImportUsers(b *testing.B) {
	for _, alg := range []string{"SHA-256", "BCRYPT"} {
		b.Run(alg, func(b *testing.B) {
			file := importBenchFile(b, alg)
			b.SetBytes(int64(len(file)))
			for b.Loop() {
				b.StopTimer()
				cfg := testConfig(b, b.TempDir())
				_, a := startApp(b, cfg)
				b.StartTimer()
				sum, err := a.Provision.ImportUsers(context.Background(), userimport.NewJSONL(bytes.NewReader(file)), provision.ImportOptions{})
				if err != nil || sum.Imported != importBenchUsers {
					b.Fatalf("%+v, %v", sum, err)
				}
			}
			b.ReportMetric(float64(importBenchUsers)*float64(b.N)/b.Elapsed().Seconds(), "users/s")
		})
	}
}
